{{/* Names ------------------------------------------------------------------------------------- */}}
{{- define "shiplog.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shiplog.fullname" -}}
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

{{- define "shiplog.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "shiplog.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "shiplog.restoreServiceAccountName" -}}
{{- default (printf "%s-restore" (include "shiplog.fullname" .)) .Values.restore.serviceAccountName -}}
{{- end -}}

{{/* Labels ------------------------------------------------------------------------------------ */}}
{{- define "shiplog.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shiplog.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "shiplog.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "shiplog.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: shiplog
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Image ------------------------------------------------------------------------------------- */}}
{{- define "shiplog.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Secret names ------------------------------------------------------------------------------ */}}
{{- define "shiplog.hmacSecretName" -}}
{{- default (printf "%s-hmac" (include "shiplog.fullname" .)) .Values.secretProtection.hmacKey.existingSecret -}}
{{- end -}}

{{- /*
  "true" when the secret mode fingerprints values and so needs a stable HMAC key: redact and encrypt
  (core's SecretModeRegistry[mode].needsHmacKey; packages/cli/src/deploy/secret-modes.test.ts checks
  that this list agrees). Without a mounted key the CLI would generate a new one on every pod start,
  under the /tmp emptyDir, and every Secret would be re-committed.
*/ -}}
{{- define "shiplog.needsHmacKey" -}}
{{- if has .Values.secretProtection.mode (list "redact" "encrypt") -}}true{{- end -}}
{{- end -}}

{{- define "shiplog.gitSecretName" -}}
{{- default (printf "%s-git" (include "shiplog.fullname" .)) .Values.repo.remote.existingSecret -}}
{{- end -}}

{{- define "shiplog.gitSecretEnabled" -}}
{{- if or .Values.repo.remote.existingSecret .Values.repo.remote.sshPrivateKey .Values.repo.remote.token -}}true{{- end -}}
{{- end -}}

{{- /* The external Redis's credentials Secret is mounted here in every shiplog pod. */ -}}
{{- define "shiplog.redisSecretDir" -}}/etc/shiplog/secrets/redis{{- end -}}

{{- define "shiplog.redisCredentials" -}}
{{- if and (not .Values.redis.bundled) .Values.redis.external.credentialsSecret -}}true{{- end -}}
{{- end -}}

{{- define "shiplog.sinkSecretName" -}}
{{- $root := index . 0 -}}{{- $sink := index . 1 -}}
{{- default (printf "%s-sink-%s" (include "shiplog.fullname" $root) $sink.name) $sink.existingSecret | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shiplog.redisName" -}}
{{- printf "%s-redis" (include "shiplog.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shiplog.repoClaimName" -}}
{{- default (printf "%s-repo" (include "shiplog.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* Attribution (docs/deploy.md "Attribution") ------------------------------------------------ */}}
{{- /* "true" when the receiver runs: attribution.sources is not empty. */ -}}
{{- define "shiplog.attribution" -}}
{{- if .Values.attribution.sources -}}true{{- end -}}
{{- end -}}

{{- define "shiplog.attributionAudit" -}}
{{- if has "audit" .Values.attribution.sources -}}true{{- end -}}
{{- end -}}

{{- /* The Deployment component that runs the receiver: the one that commits. */ -}}
{{- define "shiplog.attributionComponent" -}}
{{- if eq .Values.mode "split" -}}committer{{- else -}}all-in-one{{- end -}}
{{- end -}}

{{- define "shiplog.attributionName" -}}
{{- printf "%s-attribution" (include "shiplog.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shiplog.attributionTlsSecretName" -}}
{{- if eq .Values.attribution.tls.mode "secret" -}}
{{- .Values.attribution.tls.secretName -}}
{{- else -}}
{{- printf "%s-tls" (include "shiplog.attributionName" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "shiplog.attributionTokenSecretName" -}}
{{- default (printf "%s-token" (include "shiplog.attributionName" .) | trunc 63 | trimSuffix "-") .Values.attribution.audit.tokenSecret.name -}}
{{- end -}}

{{- /* Where the pod mounts the receiver's files; config.yaml points here. */ -}}
{{- define "shiplog.attributionTlsDir" -}}/etc/shiplog/attribution/tls{{- end -}}
{{- define "shiplog.attributionTokenDir" -}}/etc/shiplog/attribution/token{{- end -}}

{{/* Validation: fail the render with a message naming the value ------------------------------- */}}
{{- define "shiplog.validate" -}}
{{- $att := .Values.attribution -}}
{{- if and $att.admission.enabled (not (has "admission" $att.sources)) -}}
{{- fail "attribution.admission.enabled needs \"admission\" in attribution.sources" -}}
{{- end -}}
{{- if include "shiplog.attribution" . -}}
{{- if eq (int $att.receiver.port) (int .Values.server.port) -}}
{{- fail (printf "attribution.receiver.port %d is the metrics port (server.port); pick another" (int $att.receiver.port)) -}}
{{- end -}}
{{- if and (eq $att.tls.mode "secret") (not $att.tls.secretName) -}}
{{- fail "attribution.tls.mode is secret, so set attribution.tls.secretName (a kubernetes.io/tls Secret)" -}}
{{- end -}}
{{- if and (eq $att.tls.mode "secret") $att.admission.enabled (not $att.tls.caBundle) -}}
{{- fail "attribution.tls.mode is secret, so set attribution.tls.caBundle (base64 PEM) for the webhook's clientConfig" -}}
{{- end -}}
{{- if and $att.networkPolicy.enabled (not $att.networkPolicy.from) -}}
{{- fail "attribution.networkPolicy.enabled needs at least one peer in attribution.networkPolicy.from (an empty list would admit everyone)" -}}
{{- end -}}
{{- end -}}
{{- if not (has .Values.mode (list "all-in-one" "split")) -}}
{{- fail (printf "mode must be \"all-in-one\" or \"split\", got %q" .Values.mode) -}}
{{- end -}}
{{- if not (has .Values.secretProtection.mode (list "redact" "encrypt" "omit")) -}}
{{- fail (printf "secretProtection.mode must be redact, encrypt or omit, got %q" .Values.secretProtection.mode) -}}
{{- end -}}
{{- if and (eq .Values.secretProtection.mode "encrypt") (empty .Values.secretProtection.ageRecipients) -}}
{{- fail "secretProtection.ageRecipients must list at least one age recipient when secretProtection.mode is encrypt" -}}
{{- end -}}
{{- if and (not .Values.redis.bundled) (not .Values.redis.external.url) (not .Values.redis.external.existingSecret) -}}
{{- fail "redis.bundled is false, so set redis.external.url or redis.external.existingSecret" -}}
{{- end -}}
{{- $ext := .Values.redis.external -}}
{{- range $k := list "usernameKey" "passwordKey" -}}
{{- if and (get $ext $k) (not $ext.credentialsSecret) -}}
{{- fail (printf "redis.external.%s names a key of redis.external.credentialsSecret: set that Secret's name too" $k) -}}
{{- end -}}
{{- end -}}
{{- range $k := list "caKey" "certKey" "keyKey" -}}
{{- if and (dig "tls" $k "" $ext) (not $ext.credentialsSecret) -}}
{{- fail (printf "redis.external.tls.%s names a key of redis.external.credentialsSecret: set that Secret's name too" $k) -}}
{{- end -}}
{{- end -}}
{{- if and (dig "sentinel" "passwordKey" "" $ext) (not $ext.credentialsSecret) -}}
{{- fail "redis.external.sentinel.passwordKey names a key of redis.external.credentialsSecret: set that Secret's name too" -}}
{{- end -}}
{{- if ne (empty (dig "tls" "certKey" "" $ext)) (empty (dig "tls" "keyKey" "" $ext)) -}}
{{- fail "redis.external.tls.certKey and keyKey go together (a client certificate and its key)" -}}
{{- end -}}
{{- if and (dig "sentinel" "masterName" "" $ext) (empty (dig "sentinel" "sentinels" (list) $ext)) -}}
{{- fail "redis.external.sentinel.masterName is set, so list the Sentinels (host:port) in redis.external.sentinel.sentinels" -}}
{{- end -}}
{{- if and .Values.redis.external.passwordKey .Values.redis.external.url (regexMatch "^rediss?://[^/@]*:[^/@]*@" .Values.redis.external.url) -}}
{{- fail "redis.external.passwordKey is set, so redis.external.url must carry no password" -}}
{{- end -}}
{{- if and .Values.redis.external.url (regexMatch "^rediss?://[^/@]*:[^/@]*@" .Values.redis.external.url) -}}
{{- fail "redis.external.url contains a password; put the URL in a Secret and set redis.external.existingSecret" -}}
{{- end -}}
{{- /* The same rule as core's config schema (repo.remote.url), so that the render fails, not the pod. */ -}}
{{- $remote := toString .Values.repo.remote.url -}}
{{- if or (regexMatch "^(?i)https?://[^/?#]*@" $remote) (regexMatch "^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*:[^/?#]*@" $remote) (regexMatch "^[^/@:]+:[^/@:]*@[^/@:]+:" $remote) -}}
{{- fail "repo.remote.url must not contain credentials (a password, or a user name or token in an https URL); set repo.remote.token, repo.remote.sshPrivateKey or repo.remote.existingSecret" -}}
{{- end -}}
{{- if .Values.redis.bundled -}}
{{- $limit := dig "limits" "memory" "" .Values.redis.resources | toString -}}
{{- $limitBytes := include "shiplog.quantityBytes" $limit | atoi -}}
{{- $maxBytes := include "shiplog.redisBytes" .Values.redis.maxmemory | atoi -}}
{{- if and (gt $limitBytes 0) (gt (mul $maxBytes 10) (mul $limitBytes 9)) -}}
{{- fail (printf "redis.maxmemory %s is above 90%% of redis.resources.limits.memory %s; keep it at about 75%% so that a full Redis refuses writes instead of being OOM-killed" (toString .Values.redis.maxmemory) $limit) -}}
{{- end -}}
{{- end -}}
{{- range .Values.notifier.sinks -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$" (toString .name)) -}}
{{- fail (printf "notifier.sinks[].name must be a DNS label (lowercase letters, digits, '-'), got %q" (toString .name)) -}}
{{- end -}}
{{- if not .type -}}{{- fail (printf "notifier.sinks[%s].type is required" .name) -}}{{- end -}}
{{- if and (not .url) (not .existingSecret) -}}
{{- fail (printf "notifier.sinks[%s] needs url or existingSecret" .name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Memory sizes, in bytes; 0 when the value does not parse (then nothing is compared) ----------- */}}
{{- /* A Redis memory value: "384mb" (MiB), "1gb", "500m" (10^6), "1024". */ -}}
{{- define "shiplog.redisBytes" -}}
{{- $v := lower (toString .) -}}
{{- if regexMatch "^[0-9]+[a-z]*$" $v -}}
{{- $units := dict "" 1 "b" 1 "k" 1000 "kb" 1024 "m" 1000000 "mb" 1048576 "g" 1000000000 "gb" 1073741824 -}}
{{- mul (regexReplaceAll "[a-z]+$" $v "" | atoi) (get $units (regexReplaceAll "^[0-9]+" $v "")) -}}
{{- else -}}0{{- end -}}
{{- end -}}

{{- /* A Kubernetes quantity with an integer and a binary or decimal suffix: "512Mi", "1G", "1048576". */ -}}
{{- define "shiplog.quantityBytes" -}}
{{- $v := toString . -}}
{{- if regexMatch "^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$" $v -}}
{{- $units := dict "" 1 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 -}}
{{- mul (regexReplaceAll "[A-Za-z]+$" $v "" | atoi) (get $units (regexReplaceAll "^[0-9]+" $v "")) -}}
{{- else -}}0{{- end -}}
{{- end -}}

{{/* Pod pieces shared by every shiplog Deployment --------------------------------------------- */}}
{{- define "shiplog.container" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}{{- $command := index . 2 -}}{{- $settings := index . 3 -}}
- name: shiplog
  image: {{ include "shiplog.image" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  args:
    - {{ $command }}
    - --config
    - /etc/shiplog/config.yaml
    {{- with $settings.extraArgs }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if or (and (not $root.Values.redis.bundled) $root.Values.redis.external.existingSecret) $settings.extraEnv }}
  env:
    {{- if and (not $root.Values.redis.bundled) $root.Values.redis.external.existingSecret }}
    - name: SHIPLOG_REDIS_URL
      valueFrom:
        secretKeyRef:
          name: {{ $root.Values.redis.external.existingSecret }}
          key: {{ $root.Values.redis.external.existingSecretKey }}
    {{- end }}
    {{- with $settings.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  {{- $receiver := and (include "shiplog.attribution" $root) (eq $component (include "shiplog.attributionComponent" $root)) }}
  ports:
    - name: http-metrics
      containerPort: {{ $root.Values.server.port }}
      protocol: TCP
    {{- if $receiver }}
    - name: attribution
      containerPort: {{ $root.Values.attribution.receiver.port }}
      protocol: TCP
    {{- end }}
  startupProbe:
    httpGet: { path: /healthz, port: http-metrics }
    periodSeconds: 5
    failureThreshold: 60
  livenessProbe:
    httpGet: { path: /healthz, port: http-metrics }
    periodSeconds: 20
    timeoutSeconds: 5
    failureThreshold: 3
  readinessProbe:
    httpGet: { path: /readyz, port: http-metrics }
    periodSeconds: 10
    timeoutSeconds: 5
  resources:
    {{- toYaml $settings.resources | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.containerSecurityContext | nindent 4 }}
  volumeMounts:
    - name: config
      mountPath: /etc/shiplog/config.yaml
      subPath: config.yaml
      readOnly: true
    - name: tmp
      mountPath: /tmp
    {{- if and (has $component (list "all-in-one" "committer")) }}
    - name: repo
      mountPath: /var/lib/shiplog
    {{- if include "shiplog.gitSecretEnabled" $root }}
    - name: git-credentials
      mountPath: /etc/shiplog/secrets/git
      readOnly: true
    {{- end }}
    {{- end }}
    {{- if and (has $component (list "all-in-one" "watcher" "committer")) (include "shiplog.needsHmacKey" $root) }}
    - name: hmac-key
      mountPath: /etc/shiplog/secrets/hmac
      readOnly: true
    {{- end }}
    {{- if has $component (list "all-in-one" "notifier") }}
    {{- range $root.Values.notifier.sinks }}
    - name: sink-{{ .name }}
      mountPath: /etc/shiplog/secrets/sinks/{{ .name }}
      readOnly: true
    {{- end }}
    {{- end }}
    {{- if include "shiplog.redisCredentials" $root }}
    - name: redis-credentials
      mountPath: {{ include "shiplog.redisSecretDir" $root }}
      readOnly: true
    {{- end }}
    {{- if $receiver }}
    - name: attribution-tls
      mountPath: {{ include "shiplog.attributionTlsDir" $root }}
      readOnly: true
    {{- if include "shiplog.attributionAudit" $root }}
    - name: attribution-token
      mountPath: {{ include "shiplog.attributionTokenDir" $root }}
      readOnly: true
    {{- end }}
    {{- end }}
{{- end -}}

{{- define "shiplog.volumes" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
- name: config
  configMap:
    name: {{ include "shiplog.fullname" $root }}-config
- name: tmp
  emptyDir:
    sizeLimit: {{ $root.Values.tmpSizeLimit }}
{{- if has $component (list "all-in-one" "committer") }}
- name: repo
  {{- if $root.Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ include "shiplog.repoClaimName" $root }}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- if include "shiplog.gitSecretEnabled" $root }}
- name: git-credentials
  secret:
    secretName: {{ include "shiplog.gitSecretName" $root }}
    defaultMode: 0440
{{- end }}
{{- end }}
{{- if include "shiplog.redisCredentials" $root }}
- name: redis-credentials
  secret:
    secretName: {{ $root.Values.redis.external.credentialsSecret }}
    defaultMode: 0440
{{- end }}
{{- if and (has $component (list "all-in-one" "watcher" "committer")) (include "shiplog.needsHmacKey" $root) }}
- name: hmac-key
  secret:
    secretName: {{ include "shiplog.hmacSecretName" $root }}
    defaultMode: 0440
{{- end }}
{{- if has $component (list "all-in-one" "notifier") }}
{{- range $root.Values.notifier.sinks }}
- name: sink-{{ .name }}
  secret:
    secretName: {{ include "shiplog.sinkSecretName" (list $root .) }}
    defaultMode: 0440
{{- end }}
{{- end }}
{{- if and (include "shiplog.attribution" $root) (eq $component (include "shiplog.attributionComponent" $root)) }}
- name: attribution-tls
  secret:
    secretName: {{ include "shiplog.attributionTlsSecretName" $root }}
    defaultMode: 0440
    items:
      - { key: tls.crt, path: tls.crt }
      - { key: tls.key, path: tls.key }
{{- if include "shiplog.attributionAudit" $root }}
- name: attribution-token
  secret:
    secretName: {{ include "shiplog.attributionTokenSecretName" $root }}
    defaultMode: 0440
    items:
      - { key: {{ $root.Values.attribution.audit.tokenSecret.key }}, path: {{ $root.Values.attribution.audit.tokenSecret.key }} }
{{- end }}
{{- end }}
{{- end -}}

{{/* RBAC without Secrets (docs/adr/0060) ------------------------------------------------------ */}}
{{- /* Every listable resource of the core ("") group in Kubernetes 1.27-1.36 except secrets. */ -}}
{{- define "shiplog.coreResourcesWithoutSecrets" -}}
{{- toJson (list "componentstatuses" "configmaps" "endpoints" "events" "limitranges" "namespaces" "nodes" "persistentvolumeclaims" "persistentvolumes" "pods" "podtemplates" "replicationcontrollers" "resourcequotas" "serviceaccounts" "services") -}}
{{- end -}}

{{- /* Every API group but the core one that the cluster serves at render time, plus rbac.extraApiGroups. */ -}}
{{- define "shiplog.nonCoreApiGroups" -}}
{{- $groups := list -}}
{{- range .Capabilities.APIVersions -}}
{{- $parts := splitList "/" . -}}
{{- if eq (len $parts) 2 -}}
{{- $groups = append $groups (index $parts 0) -}}
{{- end -}}
{{- end -}}
{{- toJson (concat $groups .Values.rbac.extraApiGroups | uniq | sortAlpha) -}}
{{- end -}}
