using System.Text.Json.Nodes;

namespace K8sFlow.LocalCluster.Tests.Support;

/// <summary>Small object builders for tests.</summary>
public static class Objects
{
    public static JsonObject ConfigMap(string name, JsonObject? data = null, JsonObject? labels = null) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels ?? new JsonObject() },
        ["data"] = data ?? new JsonObject { ["k"] = "v" },
    };

    public static JsonObject Pod(string name, params string[] containers) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray((containers.Length == 0 ? ["main"] : containers)
                .Select(c => (JsonNode)new JsonObject { ["name"] = c, ["image"] = "busybox:1.36" }).ToArray()),
        },
    };

    public static JsonObject Job(string name) => new()
    {
        ["apiVersion"] = "batch/v1",
        ["kind"] = "Job",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["template"] = new JsonObject
            {
                ["spec"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "busybox:1.36", ["command"] = new JsonArray("true") }),
                },
            },
        },
    };

    public static JsonObject OwnerReference(JsonObject owner, bool blockOwnerDeletion = true) => new()
    {
        ["apiVersion"] = owner["apiVersion"]!.GetValue<string>(),
        ["kind"] = owner["kind"]!.GetValue<string>(),
        ["name"] = owner["metadata"]!["name"]!.GetValue<string>(),
        ["uid"] = owner["metadata"]!["uid"]!.GetValue<string>(),
        ["controller"] = true,
        ["blockOwnerDeletion"] = blockOwnerDeletion,
    };

    /// <summary>The DagRun-like CRD the tests use: group tests.k8sflow.io, printer columns, a status subresource.</summary>
    public const string WidgetCrdYaml = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.tests.k8sflow.io
        spec:
          group: tests.k8sflow.io
          scope: Namespaced
          names:
            plural: widgets
            singular: widget
            kind: Widget
            shortNames: [wd]
            categories: [all]
          versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
            additionalPrinterColumns:
            - name: Size
              type: integer
              jsonPath: .spec.size
            - name: Color
              type: string
              jsonPath: .spec.color
            - name: First-Part
              type: string
              jsonPath: .spec.parts[0].name
            - name: Phase
              type: string
              jsonPath: .status.phase
            - name: Age
              type: date
              jsonPath: .metadata.creationTimestamp
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [size]
                    properties:
                      size:
                        type: integer
                        minimum: 1
                        maximum: 10
                      color:
                        type: string
                        enum: [red, green, blue]
                        default: red
                      label:
                        type: string
                        maxLength: 8
                        pattern: '^[a-z]+$'
                      parts:
                        type: array
                        maxItems: 3
                        x-kubernetes-list-type: map
                        x-kubernetes-list-map-keys: [name]
                        items:
                          type: object
                          required: [name]
                          properties:
                            name: {type: string}
                            count: {type: integer}
                      extra:
                        type: object
                        x-kubernetes-preserve-unknown-fields: true
                      note:
                        type: string
                        nullable: true
                  status:
                    type: object
                    properties:
                      phase: {type: string}
                      observedGeneration: {type: integer}
        """;

    public static JsonObject Widget(string name, int size = 3, string? color = null)
    {
        var spec = new JsonObject { ["size"] = size };
        if (color is not null)
        {
            spec["color"] = color;
        }
        return new JsonObject
        {
            ["apiVersion"] = "tests.k8sflow.io/v1",
            ["kind"] = "Widget",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        };
    }

    public const string Widgets = "/apis/tests.k8sflow.io/v1/namespaces/default/widgets";
}
