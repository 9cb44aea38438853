package outposts

// EmbeddedName and EmbeddedManaged identify the embedded outpost.
const (
	EmbeddedName    = "authentik Embedded Outpost"
	EmbeddedManaged = "goauthentik.io/outposts/embedded"
)

// DefaultConfig is authentik 2023.10's OutpostConfig with its defaults, as
// new outposts get it. host is the authentik URL outposts connect to.
func DefaultConfig(host string) map[string]any {
	return map[string]any{
		"authentik_host":                 host,
		"authentik_host_insecure":        false,
		"authentik_host_browser":         "",
		"log_level":                      "info",
		"object_naming_template":         "ak-outpost-%(name)s",
		"refresh_interval":               "minutes=5",
		"container_image":                nil,
		"docker_network":                 nil,
		"docker_map_ports":               true,
		"docker_labels":                  nil,
		"kubernetes_replicas":            1,
		"kubernetes_namespace":           "default",
		"kubernetes_ingress_annotations": map[string]any{},
		"kubernetes_ingress_secret_name": "authentik-outpost-tls",
		"kubernetes_ingress_class_name":  nil,
		"kubernetes_service_type":        "ClusterIP",
		"kubernetes_disabled_components": []any{},
		"kubernetes_image_pull_secrets":  []any{},
		"kubernetes_json_patches":        nil,
	}
}
