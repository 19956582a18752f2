using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

public sealed class CustomResourceDefinitionTests
{
    private const string Crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    [Fact]
    public async Task CreatedCrd_IsEstablished_WithAcceptedNames()
    {
        await using var cluster = await TestCluster.StartAsync();

        var crd = await cluster.InstallWidgetCrdAsync();

        var conditions = crd["status"]!["conditions"]!.AsArray().ToDictionary(c => c!["type"]!.GetValue<string>(), c => c!["status"]!.GetValue<string>());
        conditions.Should().Contain("Established", "True").And.Contain("NamesAccepted", "True");
        crd["status"]!["acceptedNames"]!["kind"]!.GetValue<string>().Should().Be("Widget");
        crd["status"]!["acceptedNames"]!["listKind"]!.GetValue<string>().Should().Be("WidgetList");
        crd["status"]!["storedVersions"]!.AsArray().Select(v => v!.GetValue<string>()).Should().Equal("v1");
    }

    [Fact]
    public async Task CreatedCrd_IsServedInLegacyDiscovery_AtOnce()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();

        var (_, groups, _) = await cluster.GetAsync("/apis");
        var (_, resources, _) = await cluster.GetAsync("/apis/tests.k8sflow.io/v1");

        groups["groups"]!.AsArray().Select(g => g!["name"]!.GetValue<string>()).Should().Contain("tests.k8sflow.io");
        var widgets = resources["resources"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "widgets")!;
        widgets["kind"]!.GetValue<string>().Should().Be("Widget");
        widgets["singularName"]!.GetValue<string>().Should().Be("widget");
        widgets["namespaced"]!.GetValue<bool>().Should().BeTrue();
        widgets["shortNames"]!.AsArray().Select(s => s!.GetValue<string>()).Should().Equal("wd");
        widgets["categories"]!.AsArray().Select(s => s!.GetValue<string>()).Should().Equal("all");
        resources["resources"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).Should().Contain("widgets/status");
    }

    [Fact]
    public async Task AggregatedDiscovery_HasTheExactContentType_AndTheCrd()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();

        const string accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        var (_, list, _) = await cluster.GetAsync("/apis", accept);

        (await cluster.RawContentTypeAsync("/apis", accept)).Should().Be("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        list["kind"]!.GetValue<string>().Should().Be("APIGroupDiscoveryList");
        var group = list["items"]!.AsArray().Single(i => i!["metadata"]!["name"]?.GetValue<string>() == "tests.k8sflow.io")!;
        var resource = group["versions"]![0]!["resources"]![0]!;
        resource["resource"]!.GetValue<string>().Should().Be("widgets");
        resource["scope"]!.GetValue<string>().Should().Be("Namespaced");
        resource["subresources"]![0]!["subresource"]!.GetValue<string>().Should().Be("status");
    }

    [Fact]
    public async Task OpenApiV3_PatchOperationsCarryGvkAndFieldValidation()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();

        var (_, index, _) = await cluster.GetAsync("/openapi/v3");
        var url = index["paths"]!["apis/tests.k8sflow.io/v1"]!["serverRelativeURL"]!.GetValue<string>();
        var (_, document, _) = await cluster.GetAsync(url);
        var (v2, _, _) = await cluster.GetAsync("/openapi/v2");

        var patch = document["paths"]!["/apis/tests.k8sflow.io/v1/namespaces/{namespace}/widgets/{name}"]!["patch"]!;
        patch["x-kubernetes-group-version-kind"]!["kind"]!.GetValue<string>().Should().Be("Widget");
        patch["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).Should().Contain("fieldValidation");
        v2.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeletedCrd_StopsServing_AndItsObjectsGo()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();
        await cluster.PostAsync(Objects.Widgets, Objects.Widget("w1"));

        await cluster.DeleteAsync($"{Crds}/widgets.tests.k8sflow.io");

        (await cluster.GetAsync(Objects.Widgets)).Status.Should().Be(HttpStatusCode.NotFound);
        (await cluster.GetAsync("/apis/tests.k8sflow.io/v1")).Status.Should().Be(HttpStatusCode.NotFound);
        await cluster.InstallWidgetCrdAsync();
        var (_, list, _) = await cluster.GetAsync(Objects.Widgets);
        list["items"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task CrdWithWrongName_Is422()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (status, body, _) = await cluster.SendAsync(HttpMethod.Post, Crds, contentType: "application/yaml",
            rawBody: Objects.WidgetCrdYaml.Replace("name: widgets.tests.k8sflow.io", "name: gadgets.tests.k8sflow.io"));

        status.Should().Be((HttpStatusCode)422);
        body["details"]!["causes"]![0]!["field"]!.GetValue<string>().Should().Be("metadata.name");
    }

    [Theory]
    [InlineData("""{"color":"red"}""", "spec.size", "FieldValueRequired", "Required value")]
    [InlineData("""{"size":"big"}""", "spec.size", "FieldValueTypeInvalid", "Invalid value: \"string\": spec.size in body must be of type integer: \"string\"")]
    [InlineData("""{"size":0}""", "spec.size", "FieldValueInvalid", "Invalid value: 0: spec.size in body should be greater than or equal to 1")]
    [InlineData("""{"size":1,"color":"pink"}""", "spec.color", "FieldValueNotSupported", "Unsupported value: \"pink\": supported values: \"red\", \"green\", \"blue\"")]
    [InlineData("""{"size":1,"label":"toolongvalue"}""", "spec.label", "FieldValueTooLong", "Too long: may not be more than 8 bytes")]
    [InlineData("""{"size":1,"label":"ABC"}""", "spec.label", "FieldValueInvalid", "Invalid value: \"ABC\": spec.label in body should match '^[a-z]+$'")]
    [InlineData("""{"size":1,"parts":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]}""", "spec.parts", "FieldValueTooMany", "Too many: 4: must have at most 3 items")]
    [InlineData("""{"size":1,"parts":[{"count":1}]}""", "spec.parts[0].name", "FieldValueRequired", "Required value")]
    [InlineData("""{"size":1,"parts":[{"name":"a"},{"name":"a"}]}""", "spec.parts[1]", "FieldValueDuplicate", "Duplicate value: {\"name\":\"a\"}")]
    public async Task InvalidCustomResource_Is422NamingTheField(string spec, string field, string reason, string message)
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();
        var widget = Objects.Widget("w1");
        widget["spec"] = JsonNode.Parse(spec);

        var (status, body, _) = await cluster.PostAsync(Objects.Widgets, widget);

        status.Should().Be((HttpStatusCode)422);
        body["reason"]!.GetValue<string>().Should().Be("Invalid");
        body["message"]!.GetValue<string>().Should().Be($"Widget.tests.k8sflow.io \"w1\" is invalid: {field}: {message}");
        body["details"]!["kind"]!.GetValue<string>().Should().Be("Widget");
        body["details"]!["group"]!.GetValue<string>().Should().Be("tests.k8sflow.io");
        var cause = body["details"]!["causes"]![0]!;
        (cause["field"]!.GetValue<string>(), cause["reason"]!.GetValue<string>(), cause["message"]!.GetValue<string>()).Should().Be((field, reason, message));
    }

    [Fact]
    public async Task SeveralErrors_AreListedTogether()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();
        var widget = Objects.Widget("w1");
        widget["spec"] = JsonNode.Parse("""{"color":"pink"}""");

        var (_, body, _) = await cluster.PostAsync(Objects.Widgets, widget);

        body["message"]!.GetValue<string>().Should().Be(
            "Widget.tests.k8sflow.io \"w1\" is invalid: [spec.size: Required value, spec.color: Unsupported value: \"pink\": supported values: \"red\", \"green\", \"blue\"]");
    }

    [Fact]
    public async Task UnknownField_Strict_Is400_Warn_PrunesWithWarning_Ignore_PrunesSilently()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();
        JsonObject WithUnknown(string name)
        {
            var widget = Objects.Widget(name);
            widget["spec"]!["foo"] = 1;
            widget["spec"]!["extra"] = new JsonObject { ["anything"] = new JsonObject { ["goes"] = true } };
            return widget;
        }

        var (strict, strictBody, _) = await cluster.PostAsync($"{Objects.Widgets}?fieldValidation=Strict", WithUnknown("a"));
        var (warn, warnBody, warnResponse) = await cluster.PostAsync($"{Objects.Widgets}?fieldValidation=Warn", WithUnknown("b"));
        var (ignore, ignoreBody, ignoreResponse) = await cluster.PostAsync($"{Objects.Widgets}?fieldValidation=Ignore", WithUnknown("c"));

        strict.Should().Be(HttpStatusCode.BadRequest);
        strictBody["message"]!.GetValue<string>().Should().Be("Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: unknown field \"spec.foo\"");
        warn.Should().Be(HttpStatusCode.Created);
        warnResponse.Headers.GetValues("Warning").Should().Equal("299 - \"unknown field \\\"spec.foo\\\"\"");
        warnBody["spec"]!["foo"].Should().BeNull();
        warnBody["spec"]!["extra"]!["anything"]!["goes"]!.GetValue<bool>().Should().BeTrue("extra preserves unknown fields");
        ignore.Should().Be(HttpStatusCode.Created);
        ignoreResponse.Headers.Contains("Warning").Should().BeFalse();
        ignoreBody["spec"]!["foo"].Should().BeNull();
    }

    [Fact]
    public async Task Defaults_AreApplied_AndNullableFieldsKeepNull()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();
        var widget = Objects.Widget("w1");
        widget["spec"]!["note"] = null;
        widget["spec"]!["label"] = null;

        var (status, created, _) = await cluster.PostAsync(Objects.Widgets, widget);

        status.Should().Be(HttpStatusCode.Created, created.ToJsonString());
        created["spec"]!["color"]!.GetValue<string>().Should().Be("red");
        created["spec"]!.AsObject().ContainsKey("note").Should().BeTrue();
        created["spec"]!.AsObject().ContainsKey("label").Should().BeFalse("a null for a non-nullable field is pruned");
    }

    [Fact]
    public async Task UpdatedCrd_ChangesValidationAtOnce()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();

        var (_, crd, _) = await cluster.GetAsync($"{Crds}/widgets.tests.k8sflow.io");
        crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!["size"]!["maximum"] = 100;
        (await cluster.PutAsync($"{Crds}/widgets.tests.k8sflow.io", crd)).Status.Should().Be(HttpStatusCode.OK);

        (await cluster.PostAsync(Objects.Widgets, Objects.Widget("w1", size: 50))).Status.Should().Be(HttpStatusCode.Created);
    }
}
