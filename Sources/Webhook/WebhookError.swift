import Foundation
import HTTPTransport

/// A request Portcullis refuses before any policy runs: wrong route, wrong method, a body that is
/// not an AdmissionReview. Rendered as one JSON object so the API server's log (and a person with
/// curl) sees what was wrong, not just a status code.
public struct WebhookError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    /// Extra header fields, e.g. `Allow` on a 405.
    public var headers: [String: String]

    public init(status: Int, message: String, headers: [String: String] = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    private struct Body: Encodable {
        var code: Int
        var error: String
    }

    var response: HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(Body(code: status, error: message))).map { Array($0) } ?? []
        var response = HTTPResponse.json(status, bytes)
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { response.headers.add(name: name, value: value) }
        return response
    }
}
