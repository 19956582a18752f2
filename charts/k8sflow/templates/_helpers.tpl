{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "k8sflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name of the operator's objects: the release name when it already says k8sflow. */}}
{{- define "k8sflow.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "k8sflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "k8sflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "k8sflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "k8sflow.labels" -}}
helm.sh/chart: {{ include "k8sflow.chart" . }}
{{ include "k8sflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: k8sflow
{{- end }}

{{- define "k8sflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "k8sflow.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The operator's permissions in the namespaces it manages: exactly the verbs its code uses, nothing
more. One definition for the ClusterRole (all namespaces) and the per-namespace Roles (namespaced
mode); config/rbac is rendered from it by `make rbac`.
*/}}
{{- define "k8sflow.managerRules" -}}
# Dag controller: reads Dags, writes their conditions and last/next run times.
- apiGroups: ["k8sflow.io"]
  resources: ["dags"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["k8sflow.io"]
  resources: ["dags/status"]
  verbs: ["get", "update", "patch"]
# Scheduled runs are created by the Dag controller; the DagRun controller reconciles all runs.
- apiGroups: ["k8sflow.io"]
  resources: ["dagruns"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["k8sflow.io"]
  resources: ["dagruns/status"]
  verbs: ["get", "update", "patch"]
# One Job per task attempt; deleted on cancel and timeout.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete"]
# Task pods: exit code, termination message (the task's outputs), start and end times.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
# Events on Dags and DagRuns: run started, task failed or retrying, run finished, Dag invalid.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
# The optional per-run workspace volume.
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "delete"]
# Each run's pinned Dag spec (an immutable ConfigMap the run owns, deleted with it).
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "create"]
{{- end }}

{{/* Leader election: one Lease in the operator's own namespace. */}}
{{- define "k8sflow.leaderElectionRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update"]
{{- end }}

{{- define "k8sflow.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
