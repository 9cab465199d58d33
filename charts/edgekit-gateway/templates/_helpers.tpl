{{/* Name of every object: fullnameOverride, else the release name (as istio/gateway does). */}}
{{- define "edgekit-gateway.fullname" -}}
{{- .Values.fullnameOverride | default .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "edgekit-gateway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
Pod selector: the instance labels plus the gateway selector labels (.Values.labels) that
Istio Gateway resources and the AuthorizationPolicy select on.
*/}}
{{- define "edgekit-gateway.selectorLabels" -}}
{{- $sel := dict "app.kubernetes.io/name" .Chart.Name "app.kubernetes.io/instance" .Release.Name -}}
{{- toYaml (merge $sel .Values.labels) -}}
{{- end -}}

{{- define "edgekit-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "edgekit-gateway.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/*
Seconds in a duration string such as "5s", "1m30s" or "250ms" (units h, m, s, ms;
smaller units round to 0). Used to size terminationGracePeriodSeconds.
*/}}
{{- define "edgekit-gateway.seconds" -}}
{{- $total := 0.0 -}}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ms|h|m|s)" . -1 -}}
{{- $n := regexFind "^[0-9]+(\\.[0-9]+)?" . | float64 -}}
{{- $unit := regexFind "(ms|h|m|s)$" . -}}
{{- $scale := get (dict "h" 3600.0 "m" 60.0 "s" 1.0 "ms" 0.001) $unit -}}
{{- $total = addf $total (mulf $n $scale) -}}
{{- end -}}
{{- $total -}}
{{- end -}}

{{- define "edgekit-gateway.terminationGracePeriodSeconds" -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds -}}
{{- $delay := include "edgekit-gateway.seconds" .Values.broker.shutdownDelay | float64 -}}
{{- $drain := include "edgekit-gateway.seconds" (.Values.broker.config.drain_timeout | default "10s") | float64 -}}
{{- max 30 (add (ceil (addf $delay $drain)) 5) -}}
{{- else -}}
{{- .Values.terminationGracePeriodSeconds | int -}}
{{- end -}}
{{- end -}}

{{/*
The broker's config file: broker.config plus the listeners derived from broker.port and
broker.metricsPort. The shutdown delay is a flag (--shutdown-delay), not in the file.
*/}}
{{- define "edgekit-gateway.brokerConfig" -}}
{{- $listeners := dict "listen" (printf "127.0.0.1:%d" (.Values.broker.port | int)) "metrics_listen" (printf "0.0.0.0:%d" (.Values.broker.metricsPort | int)) -}}
{{- $rulesOnly := and .Values.broker.config.direct_responses .Values.broker.config.direct_responses.rules_only -}}
{{- if not $rulesOnly -}}
{{- $_ := required "broker.config.upstream.target is required: the auth service's gRPC target, e.g. dns:///authz.auth.svc.cluster.local:8080 (or set broker.config.direct_responses.rules_only and broker.config.upstream: null)" (.Values.broker.config.upstream | default dict).target -}}
{{- end -}}
{{- toYaml (merge $listeners (deepCopy .Values.broker.config)) -}}
{{- end -}}

{{- define "edgekit-gateway.brokerImage" -}}
{{- printf "%s:%s" .Values.broker.image.repository (.Values.broker.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/*
The broker container. Also the reference for charts/istio-gateway-values (a test keeps
that file's additionalContainers entry equal to this with default values).
*/}}
{{- define "edgekit-gateway.brokerContainer" -}}
name: edgekit-broker
image: {{ include "edgekit-gateway.brokerImage" . | quote }}
imagePullPolicy: {{ .Values.broker.image.pullPolicy }}
command:
  - /usr/local/bin/edgekit-broker
args:
  - --config=/etc/edgekit-broker/broker.yaml
  - --shutdown-delay={{ .Values.broker.shutdownDelay }}
  {{- range .Values.broker.extraArgs }}
  - {{ . | quote }}
  {{- end }}
ports:
  - name: broker-metrics
    containerPort: {{ .Values.broker.metricsPort | int }}
    protocol: TCP
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .Values.broker.metricsPort | int }}
  {{- toYaml .Values.broker.livenessProbe | nindent 2 }}
readinessProbe:
  httpGet:
    path: {{ .Values.broker.readinessPath }}
    port: {{ .Values.broker.metricsPort | int }}
  {{- toYaml .Values.broker.readinessProbe | nindent 2 }}
resources:
  {{- toYaml .Values.broker.resources | nindent 2 }}
securityContext:
  {{- toYaml .Values.broker.securityContext | nindent 2 }}
volumeMounts:
  - name: edgekit-broker-config
    mountPath: /etc/edgekit-broker
    readOnly: true
{{- end -}}
