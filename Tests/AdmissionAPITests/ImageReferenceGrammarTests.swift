import Foundation
import Testing

@testable import AdmissionAPI

/// `ImageReference` against an independent reading of the distribution reference grammar (the `reference` package
/// container runtimes resolve images with, which the OCI distribution spec's name rules follow): the grammar's
/// productions as one anchored regular expression, then `ParseNormalizedNamed`'s steps (no host means docker.io and
/// `library/`, a 64-hex name is refused) and go-digest's check of the digest. The node pulls what that reading
/// names, so wherever both accept, the registry, path, tag and digest Portcullis checks must be the same; wherever
/// the grammar refuses, Portcullis must refuse. Portcullis refuses more only for the reasons `stricter` names.
@Suite struct ImageReferenceGrammarTests {
    /// What the grammar reads, or why it refuses.
    enum Reading: Equatable {
        case reference(domain: String, path: String, tag: String?, digest: String?)
        case refused(String)
    }

    /// The productions, each spelt as in the grammar; `\w` written out, because ICU's `\w` is Unicode and RE2's
    /// (the grammar's) is ASCII.
    static let pattern: NSRegularExpression = {
        let alphaNumeric = "[a-z0-9]+"
        let separator = "(?:[._]|__|[-]+)"
        let pathComponent = "\(alphaNumeric)(?:\(separator)\(alphaNumeric))*"
        let domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
        let domainName = "\(domainComponent)(?:\\.\(domainComponent))*"
        let ipv6 = "\\[[a-fA-F0-9:]+\\]"
        let domain = "(?:\(domainName)|\(ipv6))(?::[0-9]+)?"
        let word = "[A-Za-z0-9_]"
        let tag = "\(word)[A-Za-z0-9_.-]{0,127}"
        let algorithmComponent = "[A-Za-z][A-Za-z0-9]*"
        let digest = "\(algorithmComponent)(?:[-_+.]\(algorithmComponent))*:[0-9a-fA-F]{32,}"
        let name = "(\(domain))/(\(pathComponent)(?:/\(pathComponent))*)"
        return try! NSRegularExpression(pattern: "^\(name)(?::(\(tag)))?(?:@(\(digest)))?$")
    }()

    /// go-digest's registered algorithms and the lower-case hex length each needs.
    static let digestLengths = ["sha256": 64, "sha384": 96, "sha512": 128]

    /// `ParseNormalizedNamed` as the grammar describes it, step by step.
    static func grammar(_ text: String) -> Reading {
        if text.utf8.count == 64 && text.utf8.allSatisfy({ "0123456789abcdef".utf8.contains($0) }) {
            return .refused("a 64-hex name is an image ID, not a reference")
        }
        // The host is the first component if it has '.' or ':', is localhost, or has upper case.
        var domain = "docker.io"
        var remainder = text
        if let slash = text.firstIndex(of: "/") {
            let first = String(text[..<slash])
            if first.contains(where: { $0 == "." || $0 == ":" }) || first == "localhost" || first.lowercased() != first
            {
                domain = first
                remainder = String(text[text.index(after: slash)...])
            }
        }
        if domain == "index.docker.io" { domain = "docker.io" }
        if domain == "docker.io" && !remainder.contains("/") { remainder = "library/" + remainder }
        let remoteName = remainder.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard remoteName.lowercased() == remoteName else { return .refused("repository name must be lower case") }
        let whole = domain + "/" + remainder
        let range = NSRange(whole.startIndex..., in: whole)
        guard let match = pattern.firstMatch(in: whole, range: range) else { return .refused("invalid format") }
        func group(_ index: Int) -> String? { Range(match.range(at: index), in: whole).map { String(whole[$0]) } }
        guard let matchedDomain = group(1), let path = group(2), matchedDomain.utf8.count + 1 + path.utf8.count <= 255
        else { return .refused("name longer than 255") }
        let digest = group(4)
        if let digest {
            let parts = digest.split(separator: ":", maxSplits: 1)
            guard let length = digestLengths[String(parts[0])], parts[1].utf8.count == length,
                parts[1].utf8.allSatisfy({ "0123456789abcdef".utf8.contains($0) })
            else { return .refused("digest algorithm unavailable or hex malformed") }
        }
        return .reference(domain: matchedDomain, path: path, tag: group(3), digest: digest)
    }

    /// Where Portcullis refuses what the grammar reads, and why that is on purpose: an upper-case host is only a
    /// look-alike of an allowed one (DNS ignores case, policy matching does not), and no TCP port has six digits.
    static func stricter(_ reading: Reading) -> String? {
        guard case .reference(let domain, _, _, _) = reading else { return nil }
        if domain.lowercased() != domain { return "upper case in the host" }
        if let colon = domain.lastIndex(of: ":"), !domain.hasSuffix("]"),
            domain[domain.index(after: colon)...].count > 5
        {
            return "a port of more than five digits"
        }
        return nil
    }

    static func portcullis(_ text: String) -> Reading {
        do {
            let reference = try ImageReference.parse(text)
            return .reference(
                domain: reference.domain, path: reference.path, tag: reference.tag, digest: reference.digest)
        } catch {
            return .refused(error.reason)
        }
    }

    static let sha256 = "sha256:" + String(repeating: "0123456789abcdef", count: 4)
    static let sha512 = "sha512:" + String(repeating: "fedcba9876543210", count: 8)

    /// Hand-written cases, each with what the grammar makes of it (checked against the grammar reading too, so
    /// the reading itself is tested): `nil` for a refusal.
    static let table: [(String, String?)] = [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("pytorch/pytorch", "docker.io/pytorch/pytorch"),
        ("docker.io/nginx", "docker.io/library/nginx"),
        ("index.docker.io/nginx", "docker.io/library/nginx"),
        ("index.docker.io/a/b", "docker.io/a/b"),
        ("localhost/app", "localhost/app"),
        ("localhost:5000/app:v1", "localhost:5000/app:v1"),
        ("localhost", "docker.io/library/localhost"),
        ("registry.internal/ephi/trainer@\(sha256)", "registry.internal/ephi/trainer@\(sha256)"),
        ("registry.internal:5000/a:t@\(sha512)", "registry.internal:5000/a:t@\(sha512)"),
        ("127.0.0.1:5000/a", "127.0.0.1:5000/a"),
        ("[::1]:5000/a", "[::1]:5000/a"),
        ("[fe80::1]/a", "[fe80::1]/a"),
        ("a.b.c/d/e/f", "a.b.c/d/e/f"),
        ("x-y.io/a__b/c.d/e---f", "x-y.io/a__b/c.d/e---f"),
        ("r.io/a_b", "r.io/a_b"),
        ("r.io/a:_tag", "r.io/a:_tag"),
        ("r.io/a:" + String(repeating: "t", count: 128), "r.io/a:" + String(repeating: "t", count: 128)),
        ("r.io/a:" + String(repeating: "t", count: 129), nil),
        ("r.io/a:.tag", nil),
        ("r.io/a:-tag", nil),
        ("r.io/a:", nil),
        ("r.io/a@", nil),
        ("r.io/a@sha256:abc", nil),
        ("r.io/a@md5:" + String(repeating: "a", count: 32), nil),
        ("r.io/a@" + sha256.uppercased().replacingOccurrences(of: "SHA256", with: "sha256"), nil),
        ("r.io/a@sha256:" + String(repeating: "a", count: 65), nil),
        ("r.io/a@sha512:" + String(repeating: "a", count: 64), nil),
        ("r.io/a___b", nil),
        ("r.io/a..b", nil),
        ("r.io/_a", nil),
        ("r.io/a-", nil),
        ("r.io//a", nil),
        ("r.io/a/", nil),
        ("/a", nil),
        ("r.io/A", nil),
        ("Nginx", nil),
        ("r.io", "docker.io/library/r.io"),
        ("-r.io/a", nil),
        ("r-.io/a", nil),
        ("r..io/a", nil),
        ("r.io:/a", nil),
        ("r.io:port/a", nil),
        ("r.io:5000:6000/a", nil),
        ("[::1/a", nil),
        ("[]/a", nil),
        ("[::g]/a", nil),
        ("user@r.io/a", nil),
        ("r.io@evil.io/a", nil),
        ("r.io/a b", nil),
        ("r.io/a\u{e9}", nil),
        ("", nil),
        (":tag", nil),
        ("@" + sha256, nil),
        (String(repeating: "ab", count: 32), nil),
        (String(repeating: "ab", count: 32) + ":t", "docker.io/library/" + String(repeating: "ab", count: 32) + ":t"),
        (String(repeating: "ab", count: 31), "docker.io/library/" + String(repeating: "ab", count: 31)),
        ("r.io/" + String(repeating: "a", count: 249), "r.io/" + String(repeating: "a", count: 249)),
        ("r.io/" + String(repeating: "a", count: 251), nil),
        (String(repeating: "a", count: 237), "docker.io/library/" + String(repeating: "a", count: 237)),
        (String(repeating: "a", count: 238), nil),
    ]

    static func describe(_ reading: Reading) -> String? {
        guard case .reference(let domain, let path, let tag, let digest) = reading else { return nil }
        return ImageReference(domain: domain, path: path, tag: tag, digest: digest).description
    }

    @Test(arguments: table)
    func handWrittenCaseReadsAsTheGrammarDoes(input: String, expected: String?) {
        #expect(Self.describe(Self.grammar(input)) == expected, "the grammar reading of \(input)")
        #expect(Self.describe(Self.portcullis(input)) == expected, "Portcullis on \(input)")
    }

    /// Every host, path and suffix spelling below combined: valid and invalid parts, so each part's rule is met in
    /// every context (a tag after a port, a digest after an IPv6 host, a bad path under a good host …).
    static let hosts = [
        "", "docker.io/", "index.docker.io/", "localhost/", "localhost:5000/", "r.io/", "r.io:443/", "r.io:123456/",
        "R.io/", "UPPER/", "a-b.c-d.e/", "1.2.3.4:5/", "[::1]/", "[::1]:5000/", "[FE80::1]/", "r_.io/", "-r.io/",
        "r.io:/", "library/",
    ]
    static let paths = [
        "a", "a/b", "a.b", "a_b", "a__b", "a--b", "a/b/c/d", "a...b", "a_.b", "A", "a/", "/a", "a//b", "0",
        "ab.cd-ef__gh", "a:b/c", String(repeating: "ab", count: 32),
    ]
    static let suffixes = [
        "", ":t", ":T1_.-", ":", ":.t", ":t/x", "@\(sha256)", ":v1@\(sha256)", "@\(sha512)", "@sha256:abc",
        "@SHA256:" + String(repeating: "a", count: 64), "@sha1:" + String(repeating: "a", count: 40), "@", ":t@",
    ]

    @Test func everyCombinationReadsAsTheGrammarDoes() {
        var compared = 0
        var refusedOnPurpose = 0
        for host in Self.hosts {
            for path in Self.paths {
                for suffix in Self.suffixes {
                    let input = host + path + suffix
                    let expected = Self.grammar(input)
                    let actual = Self.portcullis(input)
                    compared += 1
                    if let reason = Self.stricter(expected) {
                        refusedOnPurpose += 1
                        guard case .refused = actual else {
                            Issue.record("\(input): the grammar reads it, Portcullis should refuse (\(reason))")
                            continue
                        }
                    } else if case .refused = expected {
                        #expect(Self.describe(actual) == nil, "\(input): the grammar refuses it")
                    } else {
                        #expect(actual == expected, "\(input)")
                    }
                }
            }
        }
        #expect(compared == Self.hosts.count * Self.paths.count * Self.suffixes.count)
        #expect(refusedOnPurpose > 0 && refusedOnPurpose < compared / 4, "the deviations stay few")
    }
}
