#!/usr/bin/env python3
"""Reads each AdmissionReview file named on the command line with Python's json module and prints, one JSON line
per file, the values of the members Portcullis reads (the same view read_review.go and the Swift differential
test build), or the reason the file cannot be read that way. Python's json keeps the last of repeated members."""
import json
import sys


class WrongType(Exception):
    pass


def member(obj, name, kind, default):
    """obj[name] when it has the JSON type `kind`; absent or null is `default`; any other type is a finding."""
    value = obj.get(name)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise WrongType(f"{name} is {type(value).__name__}")
    return value


def objects(obj, name):
    items = member(obj, name, list, [])
    for item in items:
        if not isinstance(item, dict):
            raise WrongType(f"an element of {name} is {type(item).__name__}")
    return items


def strings(obj, name):
    items = member(obj, name, list, [])
    if not all(isinstance(item, str) for item in items):
        raise WrongType(f"an element of {name} is not a string")
    return items


def pod(spec):
    selector = member(spec, "nodeSelector", dict, {})
    if not all(isinstance(value, str) for value in selector.values()):
        raise WrongType("a nodeSelector value is not a string")
    volumes = []
    for volume in objects(spec, "volumes"):
        image = member(volume, "image", dict, None)
        if image is not None:
            volumes.append(member(image, "reference", str, ""))
    return {
        "images": [member(c, "image", str, "") for c in objects(spec, "containers")],
        "initImages": [member(c, "image", str, "") for c in objects(spec, "initContainers")],
        "ephemeralImages": [member(c, "image", str, "") for c in objects(spec, "ephemeralContainers")],
        "nodeSelector": selector,
        "nodeName": member(spec, "nodeName", str, ""),
        "schedulerName": member(spec, "schedulerName", str, ""),
        "tolerations": [
            [member(t, field, str, "") for field in ("key", "operator", "value", "effect")]
            for t in objects(spec, "tolerations")
        ],
        "volumeImages": volumes,
    }


def template(obj):
    """A PodTemplateSpec's pod spec; an absent template reads as an empty pod spec."""
    return member(obj, "spec", dict, {})


def view(review):
    if not isinstance(review, dict):
        raise WrongType("the review is not an object")
    request = member(review, "request", dict, {})
    kind = member(request, "kind", dict, {})
    user = member(request, "userInfo", dict, {})
    obj = member(request, "object", dict, {})
    meta = member(obj, "metadata", dict, {})
    spec = member(obj, "spec", dict, {})
    job = member(spec, "jobTemplate", dict, {})
    return {
        "apiVersion": member(review, "apiVersion", str, ""),
        "reviewKind": member(review, "kind", str, ""),
        "uid": member(request, "uid", str, ""),
        "operation": member(request, "operation", str, ""),
        "namespace": member(request, "namespace", str, ""),
        "name": member(request, "name", str, ""),
        "dryRun": member(request, "dryRun", bool, False),
        "kind": [member(kind, field, str, "") for field in ("group", "version", "kind")],
        "username": member(user, "username", str, ""),
        "groups": strings(user, "groups"),
        "objectKind": member(obj, "kind", str, ""),
        "objectAPIVersion": member(obj, "apiVersion", str, ""),
        "objectName": member(meta, "name", str, ""),
        "objectNamespace": member(meta, "namespace", str, ""),
        "spec": pod(spec),
        "templateSpec": pod(template(member(spec, "template", dict, {}))),
        "jobTemplateSpec": pod(template(member(template(job), "template", dict, {}))),
    }


def main():
    for path in sys.argv[1:]:
        try:
            with open(path, "rb") as handle:
                line = {"file": path, "view": view(json.loads(handle.read()))}
        except (ValueError, RecursionError, WrongType) as error:
            line = {"file": path, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(line))


if __name__ == "__main__":
    main()
