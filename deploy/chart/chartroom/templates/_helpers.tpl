{{/* Names, labels and the checks every template relies on. */}}

{{- define "chartroom.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name; the release name alone when it already contains the chart's. */}}
{{- define "chartroom.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "chartroom.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chartroom.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "chartroom.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "chartroom.selectorLabels" . }}
app.kubernetes.io/version: {{ include "chartroom.imageTag" . | trunc 63 | quote }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: chartroom
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "chartroom.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "chartroom.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "chartroom.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{- define "chartroom.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "chartroom.imageTag" .) -}}
{{- end -}}
{{- end -}}

{{/* The Secret the chart creates for the `value`s given in values. */}}
{{- define "chartroom.secretName" -}}
{{- include "chartroom.fullname" . -}}
{{- end -}}

{{- define "chartroom.configMapName" -}}
{{- include "chartroom.fullname" . -}}
{{- end -}}

{{/*
CHARTROOM_PUBLIC_URL: config.publicUrl, else the first ingress host (https when a TLS
entry names it), else empty (Chartroom then writes relative urls in indexes).
*/}}
{{- define "chartroom.publicUrl" -}}
{{- if .Values.config.publicUrl -}}
{{- .Values.config.publicUrl | trimSuffix "/" -}}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts -}}
{{- $host := (first .Values.ingress.hosts).host -}}
{{- $scheme := "http" -}}
{{- range .Values.ingress.tls -}}
{{- if has $host .hosts -}}{{- $scheme = "https" -}}{{- end -}}
{{- end -}}
{{- printf "%s://%s" $scheme $host -}}
{{- end -}}
{{- end -}}

{{/*
A value for a ConfigMap entry: integers stay integers (YAML numbers arrive as float64,
which would print as 2.097152e+07), everything else as its string.
*/}}
{{- define "chartroom.envString" -}}
{{- if kindIs "float64" . -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/*
Where one secret setting comes from: "chart" (its value goes in the chart's Secret),
"existing" (a Secret named in values), or "" (unset). Fails when both are given.
Argument: list $ <setting: adminPassword, secretKey or database>.
*/}}
{{- define "chartroom.secretSource" -}}
{{- $name := index . 1 -}}
{{- $setting := index (index . 0).Values $name -}}
{{- $field := ternary "url" "value" (eq $name "database") -}}
{{- $value := index $setting $field -}}
{{- if and $value $setting.existingSecret.name -}}
{{- fail (printf "%s: set either %s.%s or %s.existingSecret.name, not both" $name $name $field $name) -}}
{{- else if $value -}}chart
{{- else if $setting.existingSecret.name -}}existing
{{- end -}}
{{- end -}}

{{- define "chartroom.s3CredentialsSource" -}}
{{- $s3 := .Values.s3 -}}
{{- $inline := or $s3.accessKey $s3.secretKey -}}
{{- if and $inline $s3.existingSecret.name -}}
{{- fail "s3: set either s3.accessKey/s3.secretKey or s3.existingSecret.name, not both" -}}
{{- else if $inline -}}
{{- if not (and $s3.accessKey $s3.secretKey) -}}
{{- fail "s3: set both s3.accessKey and s3.secretKey" -}}
{{- end -}}chart
{{- else if $s3.existingSecret.name -}}existing
{{- end -}}
{{- end -}}

{{/* Whether the chart creates its Secret: "true" or "". */}}
{{- define "chartroom.createsSecret" -}}
{{- $sources := list
  (include "chartroom.secretSource" (list . "adminPassword"))
  (include "chartroom.secretSource" (list . "secretKey"))
  (include "chartroom.secretSource" (list . "database"))
  (include "chartroom.s3CredentialsSource" .) -}}
{{- if has "chart" $sources -}}true{{- end -}}
{{- end -}}

{{/*
The checks that values.schema.json cannot express. Included by the Deployment, so
`helm template` and `helm install` stop with the message.
*/}}
{{- define "chartroom.validate" -}}
{{- $database := include "chartroom.secretSource" (list . "database") -}}
{{- $s3credentials := include "chartroom.s3CredentialsSource" . -}}
{{- if eq .Values.mode "embedded" -}}
{{- if gt (int .Values.replicaCount) 1 -}}
{{- fail (printf "mode=embedded runs one replica (PGlite and the data volume belong to one process), but replicaCount is %d: set replicaCount=1, or use mode=external (Postgres + S3) to scale out" (int .Values.replicaCount)) -}}
{{- end -}}
{{- if or $database .Values.s3.endpoint $s3credentials -}}
{{- fail "mode=embedded keeps its data on the volume: database.* and s3.* are for mode=external" -}}
{{- end -}}
{{- if .Values.podDisruptionBudget.enabled -}}
{{- fail "mode=embedded runs one replica: a PodDisruptionBudget would only block node drains (podDisruptionBudget.enabled is for mode=external)" -}}
{{- end -}}
{{- else -}}
{{- if not $database -}}
{{- fail "mode=external needs Postgres: set database.existingSecret.name (and .key), or database.url" -}}
{{- end -}}
{{- if not .Values.s3.endpoint -}}
{{- fail "mode=external needs an S3 server: set s3.endpoint (e.g. http://minio.minio.svc:9000)" -}}
{{- end -}}
{{- if not $s3credentials -}}
{{- fail "mode=external needs S3 credentials: set s3.existingSecret.name (with accessKeyKey and secretKeyKey), or s3.accessKey and s3.secretKey" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
An env entry reading one secret setting from a Secret, or nothing when it is unset.
Argument: list $ <setting> <variable> <key in the chart's Secret>.
*/}}
{{- define "chartroom.secretEnv" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $source := include "chartroom.secretSource" (list $root $name) -}}
{{- if $source }}
- name: {{ index . 2 }}
  valueFrom:
    secretKeyRef:
      {{- if eq $source "chart" }}
      name: {{ include "chartroom.secretName" $root }}
      key: {{ index . 3 }}
      {{- else }}
      {{- $existing := (index $root.Values $name).existingSecret }}
      name: {{ $existing.name }}
      key: {{ $existing.key }}
      {{- end }}
{{- end }}
{{- end -}}

{{/* Every secret variable, each from a secretKeyRef. */}}
{{- define "chartroom.secretEnvs" -}}
{{- include "chartroom.secretEnv" (list . "adminPassword" "CHARTROOM_ADMIN_PASSWORD" "admin-password") }}
{{- include "chartroom.secretEnv" (list . "secretKey" "CHARTROOM_SECRET_KEY" "secret-key") }}
{{- include "chartroom.secretEnv" (list . "database" "DATABASE_URL" "database-url") }}
{{- $s3 := include "chartroom.s3CredentialsSource" . -}}
{{- if $s3 }}
{{- range $env, $keys := dict "S3_ACCESS_KEY" (list "s3-access-key" $.Values.s3.existingSecret.accessKeyKey) "S3_SECRET_KEY" (list "s3-secret-key" $.Values.s3.existingSecret.secretKeyKey) }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      {{- if eq $s3 "chart" }}
      name: {{ include "chartroom.secretName" $ }}
      key: {{ index $keys 0 }}
      {{- else }}
      name: {{ $.Values.s3.existingSecret.name }}
      key: {{ index $keys 1 }}
      {{- end }}
{{- end }}
{{- end }}
{{- end -}}
