import Foundation
import HTTPTransport
import PortcullisCrypto
import Testing

@Suite("TLS context reloading")
struct TLSContextReloaderTests {
    @Test("a changed certificate pair is loaded; a broken one keeps the previous context")
    func reload() throws {
        let first = try makeCertificates()
        let second = try makeCertificates()
        defer { for d in [first, second] { try? FileManager.default.removeItem(at: d) } }
        let live = first.appendingPathComponent("live")
        try FileManager.default.createDirectory(at: live, withIntermediateDirectories: true)
        let cert = live.appendingPathComponent("tls.crt")
        let key = live.appendingPathComponent("tls.key")
        func install(_ from: URL, certificate: String = "server.pem", key keyName: String = "server-key.pem") throws {
            for (source, target) in [(certificate, cert), (keyName, key)] {
                let staged = target.appendingPathExtension("new")
                try? FileManager.default.removeItem(at: staged)
                try FileManager.default.copyItem(at: from.appendingPathComponent(source), to: staged)
                #expect(rename(staged.path, target.path) == 0)
            }
        }
        try install(first)
        let reloader = try TLSContextReloader(certificatePath: cert.path, privateKeyPath: key.path)
        let original = reloader.current.certificate.serialNumber
        guard case .unchanged = reloader.reloadIfChanged() else {
            Issue.record("reloaded unchanged files")
            return
        }

        try install(second)
        guard case .reloaded(let context) = reloader.reloadIfChanged() else {
            Issue.record("no reload")
            return
        }
        #expect(context.certificate.serialNumber != original)
        #expect(reloader.current.certificate.serialNumber == context.certificate.serialNumber)

        try install(second, key: "client-key.pem")
        guard case .failed(let error) = reloader.reloadIfChanged() else {
            Issue.record("bad pair loaded")
            return
        }
        #expect("\(error)".contains("does not match"))
        #expect(reloader.current.certificate.serialNumber == context.certificate.serialNumber)
        guard case .unchanged = reloader.reloadIfChanged() else {
            Issue.record("retried an unchanged bad pair")
            return
        }
    }

    @Test("the certificate's subject, serial and expiry are read as openssl prints them")
    func certificateFacts() throws {
        let directory = try makeCertificates()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = try Certificate(pemFile: directory.appendingPathComponent("server.pem").path)
        #expect(certificate.subject == "CN=portcullis.portcullis.svc,O=Portcullis dev")
        #expect(certificate.issuer == "CN=Portcullis dev CA,O=Portcullis dev")
        #expect(certificate.notAfter > certificate.notBefore)
        #expect(certificate.serialNumber.allSatisfy { $0.isHexDigit })
        #expect(Certificate.iso8601(784_111_777) == "1994-11-06T08:49:37Z")
    }
}
