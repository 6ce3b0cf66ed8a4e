import Foundation
import Testing

@testable import AdmissionAPI

/// The admission-review fuzz corpus (the committed seeds and whatever `fuzz/run.sh` has found in `.fuzz/`) read by
/// Portcullis, by Python's `json` and by Go's `encoding/json` (what the API server speaks): for every review
/// Portcullis accepts, the members it reads have the same values in all three. Portcullis may refuse what the
/// others read (a repeated member, where they silently keep the last copy); it may never read a value they do not.
@Suite struct AdmissionReviewDifferentialTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct PodView: Codable, Equatable {
        var images: [String]
        var initImages: [String]
        var ephemeralImages: [String]
        var nodeSelector: [String: String]
        var nodeName: String
        var schedulerName: String
        var tolerations: [[String]]
        var volumeImages: [String]

        init(_ spec: PodSpec?) {
            let spec = spec ?? PodSpec()
            images = spec.containers.map(\.image)
            initImages = spec.initContainers.map(\.image)
            ephemeralImages = spec.ephemeralContainers.map(\.image)
            nodeSelector = spec.nodeSelector
            nodeName = spec.nodeName
            schedulerName = spec.schedulerName
            tolerations = spec.tolerations.map { [$0.key, $0.operator, $0.value, $0.effect] }
            volumeImages = spec.volumes.compactMap(\.imageReference)
        }
    }

    /// The members the checks read, as fuzz/differential/read_review.py and read_review.go print them.
    struct View: Codable, Equatable {
        var apiVersion, reviewKind: String
        var uid, operation, namespace, name: String
        var dryRun: Bool
        var kind: [String]
        var username: String
        var groups: [String]
        var objectKind, objectAPIVersion, objectName, objectNamespace: String
        var spec, templateSpec, jobTemplateSpec: PodView

        init(_ review: AdmissionReview) {
            apiVersion = review.apiVersion
            reviewKind = review.kind
            let request =
                review.request
                ?? AdmissionRequest(uid: "", kind: GroupVersionKind(version: "", kind: ""), operation: "")
            uid = request.uid
            operation = request.operation
            namespace = request.namespace
            name = request.name
            dryRun = request.dryRun
            kind = [request.kind.group, request.kind.version, request.kind.kind]
            username = request.userInfo.username
            groups = request.userInfo.groups
            objectKind = request.object?.kind ?? ""
            objectAPIVersion = request.object?.apiVersion ?? ""
            objectName = request.object?.metadata.name ?? ""
            objectNamespace = request.object?.metadata.namespace ?? ""
            spec = PodView(request.object?.spec)
            templateSpec = PodView(request.object?.templateSpec)
            jobTemplateSpec = PodView(request.object?.jobTemplateSpec)
        }
    }

    /// One output line of the Python or Go reader.
    struct Reading: Decodable {
        var file: String
        var view: View?
        var error: String?
    }

    static func corpus() throws -> [String] {
        var files: [String] = []
        for directory in ["fuzz/corpus/admission-review", ".fuzz/admission-review/corpus"] {
            let path = root.appendingPathComponent(directory).path
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { continue }
            files += names.sorted().map { path + "/" + $0 }
        }
        return files
    }

    /// Runs `command` over `files` in batches (argument lists stay short) and reads its lines by file.
    static func readings(_ command: [String], _ files: [String]) throws -> [String: Reading] {
        var result: [String: Reading] = [:]
        for start in stride(from: 0, to: files.count, by: 500) {
            let output = try run(command + files[start..<min(start + 500, files.count)])
            for line in output.split(separator: UInt8(ascii: "\n")) {
                let reading = try JSONDecoder().decode(Reading.self, from: Data(line))
                result[reading.file] = reading
            }
        }
        return result
    }

    static func run(_ arguments: [String]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(arguments[0]) failed"])
        }
        return [UInt8](output)
    }

    /// The Go reader, compiled for this run (Debian's golang-go; `make test` installs it).
    static func goReader() throws -> String {
        let binary = FileManager.default.temporaryDirectory.appendingPathComponent("read-review-\(getpid())").path
        _ = try run(["go", "build", "-o", binary, root.appendingPathComponent("fuzz/differential/read_review.go").path])
        return binary
    }

    @Test func everyAcceptedReviewReadsTheSameInPythonAndGo() throws {
        let files = try Self.corpus()
        let python = try Self.readings(
            ["python3", Self.root.appendingPathComponent("fuzz/differential/read_review.py").path], files)
        let go = try Self.readings([try Self.goReader()], files)
        var accepted = 0
        var refusedButReadElsewhere: [String] = []
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            // The reading without the envelope checks `decodeRequest` adds, so every review the reader accepts counts.
            guard let review = try? AdmissionReviewCodec.decodeReview(bytes) else {
                if python[file]?.view != nil && go[file]?.view != nil { refusedButReadElsewhere.append(file) }
                continue
            }
            accepted += 1
            let view = View(review)
            for (reader, readings) in [("Python json", python), ("Go encoding/json", go)] {
                guard let other = readings[file] else {
                    Issue.record("\(reader) printed nothing for \(file)")
                    continue
                }
                #expect(other.error == nil, "\(file): Portcullis accepts it, \(reader) does not: \(other.error ?? "")")
                if let otherView = other.view { #expect(view == otherView, "\(file) reads differently in \(reader)") }
            }
        }
        // The committed seeds alone: real reviews are accepted, and the repeated-member seeds are refused although
        // Python and Go read them (each keeping the last copy).
        #expect(accepted >= 5, "accepted \(accepted) of \(files.count)")
        let seeds = refusedButReadElsewhere.filter { $0.contains("/fuzz/corpus/") }.map {
            URL(fileURLWithPath: $0).lastPathComponent
        }
        #expect(seeds.sorted() == ["repeated-node-name.json", "repeated-selector-null.json"])
    }
}
