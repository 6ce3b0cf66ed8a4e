import AdmissionAPI
import Foundation

/// What Portcullis reads of the OCI JSON a registry serves for signatures: the referrers list (an image index) and
/// a manifest's annotations and layers. Pure functions of the registry's bytes, kept apart from the fetcher's
/// registry calls so they can be fuzzed with those bytes alone (fuzz/OCIManifestFuzz.swift).
enum OCIManifestJSON {
    /// One entry of a referrers list that names a sha256 digest.
    struct Referrer: Equatable {
        var digest: String
        /// `artifactType`, when it is a string (another type reads as absent, as an absent one does).
        var artifactType: String?
        /// `dev.sigstore.bundle.predicateType`, as cosign v3 annotates bundle referrers.
        var predicateType: String?
    }

    struct Layer: Equatable {
        var mediaType: String
        var digest: String
        var size: Int
        var annotations: [String: String]
    }

    enum LayersProblem: Error, Equatable {
        /// Not a JSON object with a `layers` array of objects.
        case notAManifest
        /// A layer without a string media type or a sha256 digest.
        case badLayer
    }

    static let predicateTypeAnnotation = "dev.sigstore.bundle.predicateType"

    /// The index's `manifests` that name a sha256 digest, in order; nil when the bytes are not a JSON object. An
    /// entry that is not an object, or whose digest is not sha256, is skipped: it cannot hold a signature.
    static func referrers(_ index: [UInt8]) -> [Referrer]? {
        guard let root = object(index) else { return nil }
        return (root["manifests"] as? [Any] ?? []).compactMap { entry in
            guard let descriptor = entry as? [String: Any], let digest = descriptor["digest"] as? String,
                ImageReference.isSHA256Digest(digest)
            else { return nil }
            return Referrer(
                digest: digest, artifactType: descriptor["artifactType"] as? String,
                predicateType: predicateType(descriptor["annotations"]))
        }
    }

    /// A manifest's own predicate-type annotation; nil when it has none or the bytes are not a JSON object.
    static func predicateType(ofManifest manifest: [UInt8]) -> String? {
        object(manifest).flatMap { predicateType($0["annotations"]) }
    }

    /// The manifest's layers, every one with a media type and a sha256 digest.
    static func layers(_ manifest: [UInt8]) -> Result<[Layer], LayersProblem> {
        guard let root = object(manifest), let layers = root["layers"] as? [[String: Any]] else {
            return .failure(.notAManifest)
        }
        var result: [Layer] = []
        for layer in layers {
            guard let mediaType = layer["mediaType"] as? String, let digest = layer["digest"] as? String,
                ImageReference.isSHA256Digest(digest)
            else { return .failure(.badLayer) }
            result.append(
                Layer(
                    mediaType: mediaType, digest: digest, size: layer["size"] as? Int ?? 0,
                    annotations: layer["annotations"] as? [String: String] ?? [:]))
        }
        return .success(result)
    }

    private static func object(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    private static func predicateType(_ annotations: Any?) -> String? {
        (annotations as? [String: Any])?[predicateTypeAnnotation] as? String
    }
}
