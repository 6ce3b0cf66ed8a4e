import Foundation

/// Basic credentials per registry, read from a Docker `config.json` (as mounted from a
/// `kubernetes.io/dockerconfigjson` Secret).
///
/// Only `auths` entries are read; credential helpers (`credsStore`) would run programs, which an admission webhook
/// must not do.
public struct RegistryCredentials: Sendable {
    /// `host[:port]` → (username, password).
    public let basic: [String: (username: String, password: String)]

    public init(basic: [String: (username: String, password: String)] = [:]) {
        self.basic = basic
    }

    /// Parses a Docker `config.json`; the error names the entry that is wrong.
    public init(dockerConfigJSON bytes: [UInt8]) throws(RegistryError) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw RegistryError(.malformed, "the Docker config is not a JSON object")
        }
        var basic: [String: (username: String, password: String)] = [:]
        for (key, value) in root["auths"] as? [String: Any] ?? [:] {
            guard let entry = value as? [String: Any] else { continue }
            let host = RegistryCredentials.host(of: key)
            if let user = entry["username"] as? String, let password = entry["password"] as? String {
                basic[host] = (user, password)
            } else if let auth = entry["auth"] as? String {
                guard let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                    let colon = decoded.firstIndex(of: ":")
                else {
                    throw RegistryError(
                        .malformed, "the Docker config entry for \(key) has an auth that is not base64 user:password")
                }
                basic[host] = (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
            }
        }
        self.basic = basic
    }

    /// `https://index.docker.io/v1/` → `index.docker.io`: config keys may be URLs.
    static func host(of key: String) -> String {
        var rest = Substring(key)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.prefix { $0 != "/" }).lowercased()
    }

    /// The `Authorization: Basic …` value for `host`, if configured.
    func basicHeader(for host: String) -> String? {
        guard let (user, password) = basic[host] ?? (host == "docker.io" ? basic["index.docker.io"] : nil) else {
            return nil
        }
        return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
