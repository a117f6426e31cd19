{{/* Full name of the release's objects: the release name, or gridops-operator. */}}
{{- define "gridops.operatorName" -}}
gridops-operator
{{- end }}

{{- define "gridops.serviceAccountName" -}}
{{- if .Values.serviceAccount.name -}}
{{ .Values.serviceAccount.name }}
{{- else -}}
{{ include "gridops.operatorName" . }}
{{- end -}}
{{- end }}

{{- define "gridops.labels" -}}
app.kubernetes.io/name: gridops
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "gridops.selectorLabels" -}}
app.kubernetes.io/name: gridops
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "gridops.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}

{{- /* The operator's Deployment and pod: the labels BRIEF §6 gives every gridops workload. */}}
{{- define "gridops.operatorLabels" -}}
app.kubernetes.io/name: gridops
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: gridops-operator
app.kubernetes.io/component: operator
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- /* The pods and Services the operator creates that serve /metrics (BRIEF §6 labels):
not the operator itself, nor a test venue. */}}
{{- define "gridops.monitorSelector" -}}
matchLabels:
  app.kubernetes.io/name: gridops
  app.kubernetes.io/managed-by: gridops-operator
matchExpressions:
  - key: app.kubernetes.io/component
    operator: In
    values: [connector, market-maker, live-server]
{{- end }}

{{- /* Both monitors at once would scrape every component twice. */}}
{{- define "gridops.oneMonitor" -}}
{{- if and .Values.monitoring.podMonitor.enabled .Values.monitoring.serviceMonitor.enabled -}}
{{- fail "monitoring: enable podMonitor or serviceMonitor, not both (each scrapes every gridops component)" -}}
{{- end -}}
{{- end }}
