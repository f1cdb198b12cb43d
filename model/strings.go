package model

import (
	"fmt"
	"iter"
	"reflect"
)

// Strings yields every string field of the cluster with its path
// ("nodes[1].name"), so checks that apply to all of them cannot miss a
// field added later.
func (c *Cluster) Strings() iter.Seq2[string, *string] {
	return func(yield func(string, *string) bool) {
		walkStrings(reflect.ValueOf(c).Elem(), "", yield)
	}
}

func walkStrings(v reflect.Value, path string, yield func(string, *string) bool) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return v.IsNil() || walkStrings(v.Elem(), path, yield)
	case reflect.Struct:
		t := v.Type()
		for _, name := range fieldsOf(t).names {
			if !walkStrings(v.Field(fieldsOf(t).index[name]), join(path, name), yield) {
				return false
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if !walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), yield) {
				return false
			}
		}
	case reflect.String:
		return yield(path, v.Addr().Interface().(*string))
	}
	return true
}
