namespace K8sFlow.Core.Tests.Manifests;

/// <summary>Manifests shared by the loader, validation and template tests.</summary>
internal static class SampleManifests
{
    /// <summary>The ML pipeline of the design (9 tasks, a branch and its join); valid.</summary>
    public const string MlPipeline = """
        apiVersion: k8sflow.io/v1alpha1
        kind: Dag
        metadata:
          name: ml-pipeline
          namespace: mlops
        spec:
          schedule: "0 2 * * *"
          timezone: Asia/Seoul
          timetable: trigger
          startDate: "2026-01-01T00:00:00Z"
          maxActiveRuns: 1
          params:
            dataset: {type: string, default: wine, enum: [iris, wine, breast_cancer]}
            threshold: {type: number, default: 0.8, minimum: 0, maximum: 1}
          defaults:
            image: python:3.12-slim
            retries: 2
            retryDelay: 30s
            executionTimeout: 30m
          tasks:
          - name: raw_to_bronze
            command: [python3, /app/raw_to_bronze.py]
            args: ["--dataset", "{{ params.dataset }}", "--date", "{{ ds }}"]
            outlets: ["s3://lake/bronze/{{ params.dataset }}"]
          - name: bronze_to_silver
            dependsOn: [raw_to_bronze]
            command: [python3, /app/bronze_to_silver.py, "{{ tasks.raw_to_bronze.outputs.rows_ingested }}"]
          - name: feature_engineering
            dependsOn: [bronze_to_silver]
            command: [python3, /app/features.py]
          - name: model_training
            dependsOn: [feature_engineering]
            command: [python3, /app/train.py]
            env:
            - {name: RUN, value: "{{ run_id }}"}
          - name: model_evaluation
            dependsOn: [model_training]
            command: [python3, /app/evaluate.py, "--threshold", "{{ params.threshold }}"]
          - name: check_accuracy
            type: branch
            dependsOn: [model_evaluation]
            command: [python3, /app/check.py, "{{ tasks.model_training.outputs.accuracy }}"]
          - name: model_registry
            dependsOn: [check_accuracy]
            command: [python3, /app/register.py]
          - name: notify_low_accuracy
            dependsOn: [check_accuracy]
            command: [python3, /app/notify.py]
          - name: report
            dependsOn: [model_registry, notify_low_accuracy]
            triggerRule: none_failed_min_one_success
            command: [python3, /app/report.py, "{{ macros.ds_add(ds, -1) }}"]
        """;

    /// <summary>A minimal valid Dag; tests replace one line to break one rule.</summary>
    public const string Minimal = """
        apiVersion: k8sflow.io/v1alpha1
        kind: Dag
        metadata:
          name: small
        spec:
          tasks:
          - name: a
            image: busybox
            command: [echo, a]
          - name: b
            image: busybox
            dependsOn: [a]
            command: [echo, b]
        """;
}
