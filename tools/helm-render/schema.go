// A minimal JSON Schema (draft-07) check of the merged values against the chart's
// values.schema.json, standing in for the gojsonschema library Helm uses. Supported
// keywords: type, enum, const, required, properties, additionalProperties (false or a
// schema), patternProperties, minProperties, maxProperties, items (one schema),
// minItems, maxItems, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength,
// maxLength, pattern, anyOf, allOf, oneOf, not, and local "$ref": "#/definitions/..."
// (or "#/$defs/..."). Anything else (format, if/then/else, dependencies, tuple items,
// remote refs) is ignored, so a schema using it would be enforced by helm but not here.
// Messages follow gojsonschema's wording.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

func validateSchema(chartDir, chartName string, values map[string]interface{}) error {
	b, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	var schema map[string]interface{}
	if err := json.Unmarshal(b, &schema); err != nil {
		return fmt.Errorf("values.schema.json: %v", err)
	}
	v := validator{root: schema}
	v.check(schema, values, "")
	if len(v.errs) == 0 {
		return nil
	}
	sort.Strings(v.errs)
	return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n- %s",
		chartName, strings.Join(v.errs, "\n- "))
}

type validator struct {
	root map[string]interface{}
	errs []string
}

func (v *validator) fail(p, format string, a ...interface{}) {
	if p == "" {
		p = "(root)"
	}
	v.errs = append(v.errs, p+": "+fmt.Sprintf(format, a...))
}

// ok reports whether x is valid against s, without recording errors.
func (v *validator) ok(s interface{}, x interface{}) bool {
	sub := validator{root: v.root}
	sub.check(s, x, "")
	return len(sub.errs) == 0
}

func typeName(x interface{}) string {
	switch t := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if t == math.Trunc(t) {
			return "integer"
		}
		return "number"
	case int64:
		return "integer"
	case map[string]interface{}:
		return "object"
	case []interface{}:
		return "array"
	}
	return fmt.Sprintf("%T", x)
}

func number(x interface{}) (float64, bool) {
	switch t := x.(type) {
	case float64:
		return t, true
	case int64:
		return float64(t), true
	}
	return 0, false
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

func (v *validator) check(schemaAny interface{}, x interface{}, p string) {
	s, ok := schemaAny.(map[string]interface{})
	if !ok {
		if b, isBool := schemaAny.(bool); isBool && !b {
			v.fail(p, "False always fails validation")
		}
		return
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := v.resolve(ref)
		if err != nil {
			v.fail(p, "%v", err)
			return
		}
		v.check(target, x, p)
		return // draft-07: siblings of $ref are ignored
	}

	if t, ok := s["type"]; ok {
		var want []string
		switch tt := t.(type) {
		case string:
			want = []string{tt}
		case []interface{}:
			for _, w := range tt {
				want = append(want, fmt.Sprint(w))
			}
		}
		got := typeName(x)
		match := false
		for _, w := range want {
			if w == got || (w == "number" && got == "integer") {
				match = true
			}
		}
		if !match {
			v.fail(p, "Invalid type. Expected: %s, given: %s", strings.Join(want, " or "), got)
			return
		}
	}
	if enum, ok := s["enum"].([]interface{}); ok {
		found := false
		for _, e := range enum {
			if equal(e, x) {
				found = true
			}
		}
		if !found {
			var opts []string
			for _, e := range enum {
				b, _ := json.Marshal(e)
				opts = append(opts, string(b))
			}
			v.fail(p, "%s must be one of the following: %s", jsonText(x), strings.Join(opts, ", "))
		}
	}
	if c, ok := s["const"]; ok && !equal(c, x) {
		v.fail(p, "Does not match: %s", jsonText(c))
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		subs, ok := s[key].([]interface{})
		if !ok {
			continue
		}
		n := 0
		for _, sub := range subs {
			if v.ok(sub, x) {
				n++
			}
		}
		switch {
		case key == "allOf" && n != len(subs):
			for _, sub := range subs {
				v.check(sub, x, p)
			}
		case key == "anyOf" && n == 0:
			v.fail(p, "Must validate at least one schema (anyOf)")
		case key == "oneOf" && n != 1:
			v.fail(p, "Must validate one and only one schema (oneOf)")
		}
	}
	if not, ok := s["not"]; ok && v.ok(not, x) {
		v.fail(p, "Must not validate the schema (not)")
	}

	if n, isNum := number(x); isNum {
		if m, ok := number(s["minimum"]); ok && n < m {
			v.fail(p, "Must be greater than or equal to %v", m)
		}
		if m, ok := number(s["maximum"]); ok && n > m {
			v.fail(p, "Must be less than or equal to %v", m)
		}
		if m, ok := number(s["exclusiveMinimum"]); ok && n <= m {
			v.fail(p, "Must be greater than %v", m)
		}
		if m, ok := number(s["exclusiveMaximum"]); ok && n >= m {
			v.fail(p, "Must be less than %v", m)
		}
	}
	if str, isStr := x.(string); isStr {
		l := float64(len([]rune(str)))
		if m, ok := number(s["minLength"]); ok && l < m {
			v.fail(p, "String length must be greater than or equal to %v", m)
		}
		if m, ok := number(s["maxLength"]); ok && l > m {
			v.fail(p, "String length must be less than or equal to %v", m)
		}
		if pat, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(pat); err != nil {
				v.fail(p, "bad pattern %q in schema: %v", pat, err)
			} else if !re.MatchString(str) {
				v.fail(p, "Does not match pattern '%s'", pat)
			}
		}
	}
	if arr, isArr := x.([]interface{}); isArr {
		if m, ok := number(s["minItems"]); ok && float64(len(arr)) < m {
			v.fail(p, "Array must have at least %v items", m)
		}
		if m, ok := number(s["maxItems"]); ok && float64(len(arr)) > m {
			v.fail(p, "Array must have at most %v items", m)
		}
		if items, ok := s["items"]; ok {
			for i, e := range arr {
				v.check(items, e, fmt.Sprintf("%s.%d", p, i))
			}
		}
	}
	if obj, isObj := x.(map[string]interface{}); isObj {
		if req, ok := s["required"].([]interface{}); ok {
			for _, r := range req {
				if _, present := obj[fmt.Sprint(r)]; !present {
					v.fail(p, "%s is required", r)
				}
			}
		}
		if m, ok := number(s["minProperties"]); ok && float64(len(obj)) < m {
			v.fail(p, "Must have at least %v properties", m)
		}
		if m, ok := number(s["maxProperties"]); ok && float64(len(obj)) > m {
			v.fail(p, "Must have at most %v properties", m)
		}
		props, _ := s["properties"].(map[string]interface{})
		patProps, _ := s["patternProperties"].(map[string]interface{})
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			matched := false
			if ps, ok := props[k]; ok {
				matched = true
				v.check(ps, obj[k], join(p, k))
			}
			for pat, ps := range patProps {
				if re, err := regexp.Compile(pat); err == nil && re.MatchString(k) {
					matched = true
					v.check(ps, obj[k], join(p, k))
				}
			}
			if matched {
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					v.fail(p, "Additional property %s is not allowed", k)
				}
			case map[string]interface{}:
				v.check(ap, obj[k], join(p, k))
			}
		}
	}
}

func (v *validator) resolve(ref string) (interface{}, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("unsupported $ref %q (only local refs)", ref)
	}
	var cur interface{} = v.root
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("unresolvable $ref %q", ref)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("unresolvable $ref %q", ref)
		}
	}
	return cur, nil
}

// equal compares JSON values, treating every number as float64.
func equal(a, b interface{}) bool {
	if na, ok := number(a); ok {
		nb, ok := number(b)
		return ok && na == nb
	}
	return reflect.DeepEqual(a, b)
}

func jsonText(x interface{}) string {
	b, _ := json.Marshal(x)
	return string(b)
}
