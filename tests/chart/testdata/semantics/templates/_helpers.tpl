{{- define "sem.name" -}}
{{ .Release.Name }}-{{ .Chart.Name }}
{{- end -}}
