// Names that appear in URLs and in Kubernetes-like places (usernames, role names,
// workspace names) follow one rule: a DNS label, as Kubernetes namespaces are.
export const DNS_LABEL_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
