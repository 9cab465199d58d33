// helm-render renders a Helm chart the way `helm template` does, for CI machines that
// cannot install helm (it is not packaged by Debian). It implements the subset of Helm 3
// that charts/edgekit-gateway uses; see tests/chart/helm-render/README.md for what is
// and is not covered. It does not check values.schema.json: tests/chart/helm_template.py
// validates the merged values (printed by --values-json) with python3-jsonschema first.
//
// Usage:
//
//	helm-render [--name RELEASE] [--namespace NS] [-f values.yaml]... [--set a.b=v]...
//	            [--notes | --values-json] CHART_DIR
//
// Output: every rendered template, split into YAML documents, each as
// "---\n# Source: <chart>/templates/<file>\n<doc>\n" in Helm's install order, like
// `helm template`. With --notes only the rendered templates/NOTES.txt is printed; with
// --values-json only the merged .Values, as one line of JSON (nothing is rendered).
// Errors go to stderr with exit status 1 (2 for a bad command line).
//
// It is built in GOPATH mode against Debian's /usr/share/gocode, where sprig v3 lives at
// the import path github.com/Masterminds/sprig (no /v3 suffix), hence that import.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v2"
)

// chartMeta mirrors the fields of Helm's chart.Metadata that templates read as .Chart.X.
type chartMeta struct {
	APIVersion  string `yaml:"apiVersion"`
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	AppVersion  string `yaml:"appVersion"`
	Description string `yaml:"description"`
	Type        string `yaml:"type"`
	KubeVersion string `yaml:"kubeVersion"`
}

// files is .Files: the chart's non-template files, read on demand, relative to the chart.
type files struct{ root string }

func (f files) GetBytes(name string) []byte {
	clean := path.Clean("/" + name)[1:] // no escaping the chart directory, as in Helm
	if strings.HasPrefix(clean, "templates/") {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(clean)))
	if err != nil {
		return nil // Helm returns "" for a missing file
	}
	return b
}

func (f files) Get(name string) string { return string(f.GetBytes(name)) }

// capabilities is a minimal .Capabilities: a fixed Kubernetes version and the built-in
// API versions plus any given with --api-versions.
type capabilities struct {
	KubeVersion struct{ Version, Major, Minor, GitVersion string }
	APIVersions apiVersions
}

type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	release, namespace, chartDir string
	valueFiles, sets, apiVers    []string
	notes, valuesJSON            bool
}

func parseArgs(args []string) (options, error) {
	o := options{release: "release-name", namespace: "default"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		var err error
		var v string
		switch a {
		case "-f", "--values":
			v, err = next()
			o.valueFiles = append(o.valueFiles, v)
		case "--set":
			v, err = next()
			o.sets = append(o.sets, v)
		case "--api-versions":
			v, err = next()
			o.apiVers = append(o.apiVers, v)
		case "--name":
			o.release, err = next()
		case "-n", "--namespace":
			o.namespace, err = next()
		case "--notes":
			o.notes = true
		case "--values-json":
			o.valuesJSON = true
		default:
			if strings.HasPrefix(a, "-") || o.chartDir != "" {
				return o, fmt.Errorf("unexpected argument %q", a)
			}
			o.chartDir = a
		}
		if err != nil {
			return o, err
		}
	}
	if o.chartDir == "" {
		return o, fmt.Errorf("missing CHART_DIR")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "helm-render: %v\nusage: helm-render [--name R] [--namespace NS] [-f FILE]... [--set K=V]... [--api-versions G/V]... [--notes | --values-json] CHART_DIR\n", err)
		return 2
	}
	out, err := render(o)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	io.WriteString(stdout, out)
	return 0
}

func render(o options) (string, error) {
	var meta chartMeta
	if err := readYAML(filepath.Join(o.chartDir, "Chart.yaml"), &meta); err != nil {
		return "", err
	}
	if meta.Name == "" || meta.Version == "" {
		return "", fmt.Errorf("Chart.yaml: name and version are required")
	}
	values, err := loadValues(o)
	if err != nil {
		return "", err
	}
	if o.valuesJSON {
		// The values the templates see, for a schema check outside this program.
		b, err := json.Marshal(values)
		if err != nil {
			return "", fmt.Errorf("values: %v", err)
		}
		return string(b) + "\n", nil
	}

	caps := capabilities{APIVersions: append(apiVersions{"v1", "apps/v1", "policy/v1",
		"autoscaling/v2", "rbac.authorization.k8s.io/v1"}, o.apiVers...)}
	caps.KubeVersion.Version, caps.KubeVersion.GitVersion = "v1.30.0", "v1.30.0"
	caps.KubeVersion.Major, caps.KubeVersion.Minor = "1", "30"
	top := map[string]interface{}{
		"Values": values,
		"Chart":  &meta,
		"Release": map[string]interface{}{
			"Name": o.release, "Namespace": o.namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": &caps,
		"Files":        files{o.chartDir},
	}

	tmpl, names, err := parseTemplates(o.chartDir, meta.Name)
	if err != nil {
		return "", err
	}
	rendered := map[string]string{}
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue // partials only define named templates
		}
		// Each template sees its own .Template, as in Helm.
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{"Name": name, "BasePath": meta.Name + "/templates"}
		var buf strings.Builder
		if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
			return "", cleanExecError(err)
		}
		// Helm's engine removes what missingkey=zero prints for absent map keys.
		rendered[name] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}

	notesName := meta.Name + "/templates/NOTES.txt"
	if o.notes {
		return rendered[notesName], nil
	}
	delete(rendered, notesName)
	return joinManifests(rendered), nil
}

// loadValues merges values.yaml, then each -f file, then each --set, as Helm does:
// maps merge deeply, anything else replaces, and a null removes the key.
func loadValues(o options) (map[string]interface{}, error) {
	vals := map[string]interface{}{}
	for i, f := range append([]string{filepath.Join(o.chartDir, "values.yaml")}, o.valueFiles...) {
		var raw interface{}
		if err := readYAML(f, &raw); err != nil {
			if i == 0 && os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		m, ok := jsonTypes(raw).(map[string]interface{})
		if raw != nil && !ok {
			return nil, fmt.Errorf("%s: top level must be a map", f)
		}
		vals = merge(vals, m)
	}
	for _, s := range o.sets {
		m, err := parseSet(s)
		if err != nil {
			return nil, err
		}
		vals = merge(vals, m)
	}
	return vals, nil
}

func merge(base, over map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, bok := out[k].(map[string]interface{})
		om, ook := v.(map[string]interface{})
		if bok && ook {
			out[k] = merge(bm, om)
		} else {
			out[k] = v
		}
	}
	return out
}

// parseSet handles "a.b=v,c=w" like Helm's strvals, without list indexes or escapes:
// true/false become booleans, null removes the key, integers become int64, the rest
// stays a string (Helm does not turn "1.5" into a number either).
func parseSet(s string) (map[string]interface{}, error) {
	out := map[string]interface{}{}
	for _, kv := range strings.Split(s, ",") {
		eq := strings.IndexByte(kv, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("--set %q: want key=value", kv)
		}
		keys, raw := strings.Split(kv[:eq], "."), kv[eq+1:]
		var val interface{} = raw
		switch {
		case raw == "true" || raw == "false":
			val = raw == "true"
		case raw == "null":
			val = nil
		default:
			if n, err := strconv.ParseInt(raw, 10, 64); err == nil && (raw == "0" || raw[0] != '0') {
				val = n
			}
		}
		m := out
		for _, k := range keys[:len(keys)-1] {
			sub, ok := m[k].(map[string]interface{})
			if !ok {
				sub = map[string]interface{}{}
				m[k] = sub
			}
			m = sub
		}
		m[keys[len(keys)-1]] = val
	}
	return out, nil
}

func readYAML(file string, into interface{}) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	return nil
}

// jsonTypes converts yaml.v2 output to what Helm's values hold after sigs.k8s.io/yaml's
// YAML -> JSON -> Go round trip: map[string]interface{}, []interface{}, and float64 for
// every number. The float64 is deliberate: in real Helm `{{ .Values.n }}` prints
// 4194304 as 4.194304e+06, and charts must cope (| int), so this renderer does too.
func jsonTypes(v interface{}) interface{} {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = jsonTypes(x)
		}
		return m
	case map[string]interface{}:
		for k, x := range t {
			t[k] = jsonTypes(x)
		}
		return t
	case []interface{}:
		for i, x := range t {
			t[i] = jsonTypes(x)
		}
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return v
}

func parseTemplates(chartDir, chartName string) (*template.Template, []string, error) {
	root := template.New("gotpl").Option("missingkey=zero")
	root.Funcs(funcMap(root))
	var names []string
	tdir := filepath.Join(chartDir, "templates")
	err := filepath.Walk(tdir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tdir, p)
		name := chartName + "/templates/" + filepath.ToSlash(rel)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := root.New(name).Parse(string(b)); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	sort.Strings(names)
	return root, names, err
}

// funcMap is sprig's function map with Helm's changes: env/expandenv removed, and
// Helm's own include, tpl, required, toYaml, fromYaml, fromYamlArray, toJson, fromJson.
func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	depth := 0
	f["include"] = func(name string, data interface{}) (string, error) {
		// Helm also caps recursion, so a self-including template fails instead of looping.
		if depth++; depth > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		defer func() { depth-- }()
		var buf strings.Builder
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		if _, err := t.New("tpl").Parse(text); err != nil {
			return "", err
		}
		var buf strings.Builder
		err = t.ExecuteTemplate(&buf, "tpl", data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, fmt.Errorf("%s", msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	f["toYaml"] = toYaml
	f["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		var raw interface{}
		if err := yaml.Unmarshal([]byte(s), &raw); err != nil {
			return map[string]interface{}{"Error": err.Error()}
		}
		m, _ := jsonTypes(raw).(map[string]interface{})
		if m == nil {
			m = map[string]interface{}{}
		}
		return m
	}
	f["fromYamlArray"] = func(s string) []interface{} {
		var raw interface{}
		if err := yaml.Unmarshal([]byte(s), &raw); err != nil {
			return []interface{}{err.Error()}
		}
		a, _ := jsonTypes(raw).([]interface{})
		return a
	}
	f["lookup"] = func(string, string, string, string) map[string]interface{} {
		return map[string]interface{}{} // what `helm template` returns: no cluster
	}
	return f
}

// toYaml matches Helm's: sigs.k8s.io/yaml marshals through JSON (so keys are sorted and
// integral numbers print as integers) and Helm trims the final newline.
func toYaml(v interface{}) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var obj interface{}
	if err := yaml.Unmarshal(j, &obj); err != nil {
		return ""
	}
	b, err := yaml.Marshal(obj)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

// cleanExecError shortens text/template's error for fail/required the way Helm does:
// "execution error at (<template>:<line>:<col>): <message>".
func cleanExecError(err error) error {
	re := regexp.MustCompile(`^template: (.*?):(\d+):(\d+): executing ".*?" at <.*?>: error calling (?:fail|required): (.*)$`)
	if m := re.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("execution error at (%s:%s:%s): %s", m[1], m[2], m[3], m[4])
	}
	return err
}

// installOrder is Helm's releaseutil.InstallOrder: the order `helm template` prints kinds.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList",
	"Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService",
}

type manifest struct{ source, kind, name, content string }

// joinManifests splits each rendered file on "---" lines (Helm's SplitManifests), drops
// blank documents, and sorts by install order: known kinds first in that order, then
// unknown kinds alphabetically; ties keep file order, as Helm's stable sort does.
func joinManifests(rendered map[string]string) string {
	sep := regexp.MustCompile(`(?:^|\s*\n)---\s*`)
	var ms []manifest
	var sources []string
	for s := range rendered {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	for _, s := range sources {
		for _, doc := range sep.Split(rendered[s], -1) {
			doc = strings.TrimSpace(doc)
			if doc == "" {
				continue
			}
			var head struct {
				Kind     string `yaml:"kind"`
				Metadata struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
			}
			yaml.Unmarshal([]byte(doc), &head) // unparsable docs sort as unknown kinds
			ms = append(ms, manifest{s, head.Kind, head.Metadata.Name, doc})
		}
	}
	rank := map[string]int{}
	for i, k := range installOrder {
		rank[k] = i
	}
	sort.SliceStable(ms, func(i, j int) bool {
		ri, iok := rank[ms[i].kind]
		rj, jok := rank[ms[j].kind]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return ms[i].kind < ms[j].kind
	})
	var b bytes.Buffer
	for _, m := range ms {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.source, m.content)
	}
	return b.String()
}
