import JSONText

/// Reads AdmissionReview requests from the API server and writes the responses it expects.
public enum AdmissionReviewCodec {
    public static let apiVersion = "admission.k8s.io/v1"
    public static let kind = "AdmissionReview"

    /// Decodes a review and checks that it is one Portcullis can answer: apiVersion
    /// `admission.k8s.io/v1`, kind `AdmissionReview`, a `request` with a non-empty `uid`, a known
    /// `operation` and a `kind`.
    public static func decodeRequest(_ bytes: [UInt8]) throws(AdmissionDecodingError) -> AdmissionRequest {
        let review = try decodeReview(bytes)
        guard review.apiVersion == apiVersion else {
            throw AdmissionDecodingError(
                "apiVersion is \(quoted(review.apiVersion)); Portcullis answers only \(quoted(apiVersion))",
                path: "apiVersion")
        }
        guard review.kind == kind else {
            throw AdmissionDecodingError("kind is \(quoted(review.kind)); expected \(quoted(kind))", path: "kind")
        }
        guard let request = review.request else {
            throw AdmissionDecodingError("the review has no request", path: "request")
        }
        guard !request.uid.isEmpty else {
            throw AdmissionDecodingError("uid is missing or empty; the response must echo it", path: "request.uid")
        }
        // Without these the request could not be scoped; refusing it (400, so the API server applies the
        // webhook's failurePolicy) is safer than allowing it unexamined.
        guard ["CREATE", "UPDATE", "DELETE", "CONNECT"].contains(request.operation) else {
            throw AdmissionDecodingError(
                "operation is \(quoted(request.operation)); expected CREATE, UPDATE, DELETE or CONNECT",
                path: "request.operation")
        }
        guard !request.kind.kind.isEmpty else {
            throw AdmissionDecodingError("kind.kind is missing or empty", path: "request.kind")
        }
        return request
    }

    /// Decodes the JSON of a review without checking what it holds (`portcullis evaluate` reads reviews
    /// that tools wrote); the request's object is decoded as far as the checks need.
    public static func decodeReview(_ bytes: [UInt8]) throws(AdmissionDecodingError) -> AdmissionReview {
        try JSONReader.read(bytes) { reader throws(AdmissionDecodingError) in
            try AdmissionReview.decode(from: &reader)
        }
    }

    /// The response review: apiVersion `admission.k8s.io/v1`, kind `AdmissionReview`, `response` only.
    /// Portcullis validates and never mutates, so no patch is ever written.
    public static func encodeResponse(_ response: AdmissionResponse) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.member("apiVersion", string: apiVersion)
        json.member("kind", string: kind)
        json.key("response")
        json.beginObject()
        json.member("uid", string: response.uid)
        json.key("allowed")
        json.bool(response.allowed)
        if let status = response.status {
            json.key("status")
            json.beginObject()
            json.key("code")
            json.int(status.code)
            json.member("message", string: status.message)
            if !status.reason.isEmpty { json.member("reason", string: status.reason) }
            json.endObject()
        }
        if let warnings = response.warnings, !warnings.isEmpty {
            json.key("warnings")
            json.beginArray()
            for warning in warnings { json.string(warning) }
            json.endArray()
        }
        if let annotations = response.auditAnnotations, !annotations.isEmpty {
            json.key("auditAnnotations")
            json.beginObject()
            for key in annotations.keys.sorted() { json.member(key, string: annotations[key] ?? "") }
            json.endObject()
        }
        json.endObject()
        json.endObject()
        return json.bytes
    }

    private static func quoted(_ text: String) -> String {
        var json = JSONWriter()
        json.string(text)
        return String(decoding: json.bytes, as: UTF8.self)
    }
}
