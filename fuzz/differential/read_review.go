// Reads each AdmissionReview file named on the command line with Go's encoding/json (what the API server and most
// admission tooling use) and prints, one JSON line per file, the values of the members Portcullis reads (the same
// view read_review.py and the Swift differential test build), or the reason the file cannot be read that way.
// encoding/json keeps the last of repeated members and replaces invalid UTF-8.
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

type object = map[string]interface{}

// wrongType is a member whose JSON type Portcullis cannot have accepted.
type wrongType string

func member[T any](obj object, name string, fallback T) T {
	value, ok := obj[name]
	if !ok || value == nil {
		return fallback
	}
	typed, ok := value.(T)
	if !ok {
		panic(wrongType(fmt.Sprintf("%s is %T", name, value)))
	}
	return typed
}

// elements is the array obj[name], each element of type T; absent or null is empty.
func elements[T any](obj object, name string) []T {
	out := []T{}
	for _, item := range member(obj, name, []interface{}{}) {
		typed, ok := item.(T)
		if !ok {
			panic(wrongType(fmt.Sprintf("an element of %s is %T", name, item)))
		}
		out = append(out, typed)
	}
	return out
}

func images(spec object, name string) []string {
	out := []string{}
	for _, container := range elements[object](spec, name) {
		out = append(out, member(container, "image", ""))
	}
	return out
}

func pod(spec object) object {
	selector := map[string]string{}
	for key, value := range member(spec, "nodeSelector", object{}) {
		typed, ok := value.(string)
		if !ok {
			panic(wrongType("a nodeSelector value is not a string"))
		}
		selector[key] = typed
	}
	tolerations := [][]string{}
	for _, t := range elements[object](spec, "tolerations") {
		tolerations = append(tolerations, []string{
			member(t, "key", ""), member(t, "operator", ""), member(t, "value", ""), member(t, "effect", "")})
	}
	volumes := []string{}
	for _, volume := range elements[object](spec, "volumes") {
		if image := member[object](volume, "image", nil); image != nil {
			volumes = append(volumes, member(image, "reference", ""))
		}
	}
	return object{
		"images": images(spec, "containers"), "initImages": images(spec, "initContainers"),
		"ephemeralImages": images(spec, "ephemeralContainers"), "nodeSelector": selector,
		"nodeName": member(spec, "nodeName", ""), "schedulerName": member(spec, "schedulerName", ""),
		"tolerations": tolerations, "volumeImages": volumes,
	}
}

// template is a PodTemplateSpec's pod spec; an absent template reads as an empty pod spec.
func template(obj object) object { return member(obj, "spec", object{}) }

func view(bytes []byte) (result object, failure error) {
	defer func() {
		if reason, ok := recover().(wrongType); ok {
			failure = fmt.Errorf("WrongType: %s", string(reason))
		}
	}()
	var root interface{}
	if err := json.Unmarshal(bytes, &root); err != nil {
		return nil, err
	}
	review, ok := root.(object)
	if !ok {
		return nil, fmt.Errorf("WrongType: the review is not an object")
	}
	request := member(review, "request", object{})
	kind := member(request, "kind", object{})
	user := member(request, "userInfo", object{})
	obj := member(request, "object", object{})
	meta := member(obj, "metadata", object{})
	spec := member(obj, "spec", object{})
	job := member(spec, "jobTemplate", object{})
	return object{
		"apiVersion": member(review, "apiVersion", ""), "reviewKind": member(review, "kind", ""),
		"uid": member(request, "uid", ""), "operation": member(request, "operation", ""),
		"namespace": member(request, "namespace", ""), "name": member(request, "name", ""),
		"dryRun":   member(request, "dryRun", false),
		"kind":     []string{member(kind, "group", ""), member(kind, "version", ""), member(kind, "kind", "")},
		"username": member(user, "username", ""), "groups": elements[string](user, "groups"),
		"objectKind": member(obj, "kind", ""), "objectAPIVersion": member(obj, "apiVersion", ""),
		"objectName": member(meta, "name", ""), "objectNamespace": member(meta, "namespace", ""),
		"spec": pod(spec), "templateSpec": pod(template(member(spec, "template", object{}))),
		"jobTemplateSpec": pod(template(member(template(job), "template", object{}))),
	}, nil
}

func main() {
	out := json.NewEncoder(os.Stdout)
	for _, path := range os.Args[1:] {
		line := object{"file": path}
		bytes, err := os.ReadFile(path)
		if err == nil {
			line["view"], err = view(bytes)
		}
		if err != nil {
			delete(line, "view")
			line["error"] = err.Error()
		}
		if err := out.Encode(line); err != nil {
			panic(err)
		}
	}
}
