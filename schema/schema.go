// Package schema generates the JSON Schema (draft 2020-12) of the cluster
// file from the model's types, their doc tags and the limits validate
// enforces, so editors (yaml-language-server) complete and flag the same
// fields and values lbgen does.
package schema

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// URL is where the schema is published: the committed copy in the
// repository, which a test keeps equal to Generate's output.
const URL = "https://raw.githubusercontent.com/lbgen/lbgen/main/schema/cluster-v1.json"

// object is one JSON Schema; map keys are written sorted.
type object = map[string]any

// Generate returns the schema, indented, ending with a newline.
func Generate() ([]byte, error) {
	root := describe(reflect.TypeFor[model.Cluster](), "")
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = URL
	root["title"] = "lbgen cluster file, version 1"
	root["required"] = []string{"version", "name", "listen", "nodes"}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(root)
	return b.Bytes(), err
}

// describe is the schema of a value of type t at the field path path.
func describe(t reflect.Type, path string) object {
	if s, ok := byPath(path); ok {
		return s
	}
	switch t {
	case reflect.TypeFor[model.Duration]():
		return object{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`, "examples": []string{"500ms", "5s", "1h"}}
	case reflect.TypeFor[model.Size]():
		return object{"oneOf": []object{
			{"type": "integer", "minimum": 1},
			{"type": "string", "pattern": `^[0-9]+[kKmMgG]?$`},
		}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describe(t.Elem(), path)
	case reflect.Slice:
		s := object{"type": "array", "items": describe(t.Elem(), path+"[]")}
		switch path {
		case "listen", "nodes":
			s["minItems"] = 1
		case "fallback":
			s["maxItems"] = validate.MaxFallbacks
		}
		return s
	case reflect.Bool:
		return object{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return object{"type": "integer"}
	case reflect.String:
		return object{"type": "string"}
	case reflect.Struct:
		props := object{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			s := describe(f.Type, p)
			if doc := f.Tag.Get("doc"); doc != "" {
				s["description"] = doc
			}
			props[name] = s
		}
		s := object{"type": "object", "properties": props, "additionalProperties": false}
		if req := required[path]; req != nil {
			s["required"] = req
		}
		return s
	}
	panic("schema: no JSON type for " + t.String())
}

// required lists the fields every object at a path must have.
var required = map[string][]string{
	"listen[]":   {"addr"},
	"nodes[]":    {"name", "host", "port"},
	"fallback[]": {"name", "url"},
	"admin":      {"addr", "allow"},
}

// byPath holds what a field's Go type does not say: values, ranges and
// sizes, from the model's names and validate's limits.
func byPath(path string) (object, bool) {
	port := object{"type": "integer", "minimum": validate.MinPort, "maximum": validate.MaxPort}
	count := object{"type": "integer", "minimum": validate.MinHealthCount, "maximum": validate.MaxHealthCount}
	switch path {
	case "version":
		return object{"const": model.Version}, true
	case "name":
		return object{"type": "string", "pattern": validate.ClusterNamePattern, "maxLength": validate.MaxClusterName}, true
	case "preset":
		return object{"enum": model.PresetNames()}, true
	case "sticky.style":
		return object{"enum": []string{model.StyleRoute, model.StyleInsert, model.StyleExact, model.StyleHash}}, true
	case "sticky.insert.same_site":
		return object{"enum": []string{model.SameSiteLax, model.SameSiteStrict, model.SameSiteNone}}, true
	case "tls.upstream":
		return object{"enum": []string{model.UpstreamPlain, model.UpstreamTLS, model.UpstreamMatch}}, true
	case "nodes[].state":
		return object{"enum": []string{model.StateActive, model.StateDrain, model.StateStandby, model.StateDown}}, true
	case "nodes[].port", "nodes[].tls_port":
		return port, true
	case "nodes[].weight":
		return object{"type": "integer", "minimum": validate.MinWeight, "maximum": validate.MaxWeight}, true
	case "health.fails", "health.passes":
		return count, true
	case "health.expect_status":
		return object{"type": "integer", "minimum": validate.MinExpectStatus, "maximum": validate.MaxExpectStatus}, true
	case "max_connections":
		return object{"type": "integer", "minimum": validate.MinMaxConnections, "maximum": validate.MaxMaxConnections}, true
	}
	return nil, false
}
