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
