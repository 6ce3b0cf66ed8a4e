import AdmissionAPI

/// The pod spec a request would run, with what the checks and their messages need to know about it.
struct PodUnderReview {
    /// One container of any kind, with its role and where it sits in the spec.
    struct ContainerEntry {
        var container: Container
        /// `container`, `init container`, `sidecar container` or `ephemeral container`.
        var role: String
        /// `containers`, `initContainers` or `ephemeralContainers`.
        var list: StaticString
        var index: Int
        var specPath: String

        /// e.g. `spec.template.spec.initContainers[0]`; built only for messages.
        var path: String { "\(specPath).\(list)[\(index)]" }
    }

    /// One image the pod pulls: a container's `image`, or a volume's artifact (image volume, or an inline CSI
    /// volume whose driver the policy lists as pulling images). Paths and names are built only for messages.
    struct ImageEntry {
        enum Holder {
            case container(ContainerEntry)
            case imageVolume(Volume, specPath: String)
            case csiVolume(Volume, driver: String, attribute: String, specPath: String)
            /// An `oci://` model URI of a KServe predictor (a "modelcar" image).
            case model(path: String)
            /// An image field of a configured kind outside its templates (a TrainJob's `spec.trainer.image`).
            case field(path: String)
        }

        var image: String
        var holder: Holder

        /// JSON path of the field that names the image, e.g. `spec.volumes[2].image.reference`.
        var path: String {
            switch holder {
            case .container(let entry): entry.path + ".image"
            case .imageVolume(let volume, let specPath): "\(specPath).volumes[\(volume.index)].image.reference"
            case .csiVolume(let volume, _, let attribute, let specPath):
                "\(specPath).volumes[\(volume.index)].csi.volumeAttributes.\(attribute)"
            case .model(let path), .field(let path): path
            }
        }

        /// How messages name the holder: `container "trainer"`, `image volume "model"`.
        var holderName: String {
            switch holder {
            case .container(let entry): "\(entry.role) \(entry.container.name.quotedForMessage)"
            case .imageVolume(let volume, _): "image volume \(volume.name.quotedForMessage)"
            case .csiVolume(let volume, let driver, _, _):
                "CSI volume \(volume.name.quotedForMessage) (driver \(driver))"
            case .model: "model"
            case .field: "image field"
            }
        }

        /// The volume's name for a volume's artifact; nil for a container image.
        var volume: String? {
            switch holder {
            case .container, .field: nil
            case .imageVolume(let volume, _), .csiVolume(let volume, _, _, _): volume.name
            case .model: "model"
            }
        }
    }

    var workloadKind: String
    var workloadName: String
    var spec: PodSpec
    /// `spec`, `spec.template.spec` or `spec.jobTemplate.spec.template.spec`.
    var specPath: String
    /// True for a workload's pod template rather than a pod.
    var isTemplate: Bool
    /// True for a kind with several templates (configured in `workloadKinds`): the subject names the template's path.
    var namesTemplatePath = false
    /// True for a partial template that patches one held elsewhere (`workloadKinds` `patches`): its containers without
    /// an image keep the image of the template they patch, and only ``PodTemplateKind/judgesPatches(_:)`` rules apply.
    var isPatch = false
    /// `spec.nodeName` of the old object of an UPDATE; the scheduler sets it on a bound pod, so an
    /// unchanged value is not a bypass.
    var previousNodeName: String?
    /// `spec.schedulerName` of the old object of an UPDATE.
    var previousSchedulerName: String?
    let containers: [ContainerEntry]
    /// The models a KServe predictor loads by URI (empty for every other kind).
    let modelSources: [ModelSource]
    /// False for KServe objects: their runtime's defaults are merged into the pods KServe creates, so placement is
    /// judged on those pods, and only images and models here.
    let judgesPlacement: Bool
    /// Every image the pod pulls: containers' first (in ``containers`` order), then volumes' in spec order.
    let images: [ImageEntry]

    /// - Parameter imageDrivers: CSI driver → the volume attribute that names the image it pulls.
    init(
        workloadKind: String, workloadName: String, spec: PodSpec, specPath: String,
        previousNodeName: String?, previousSchedulerName: String? = nil, imageDrivers: [String: String] = [:],
        modelSources: [ModelSource] = [], namesTemplatePath: Bool = false, isPatch: Bool = false,
        imageFields: [(value: String, path: String)] = []
    ) {
        self.namesTemplatePath = namesTemplatePath
        self.isPatch = isPatch
        self.modelSources = modelSources
        self.judgesPlacement = workloadKind != "InferenceService" && workloadKind != "ServingRuntime"
        self.workloadKind = workloadKind
        self.workloadName = workloadName
        self.spec = spec
        self.specPath = specPath
        self.isTemplate = workloadKind != "Pod"
        self.previousNodeName = previousNodeName
        self.previousSchedulerName = previousSchedulerName
        var entries: [ContainerEntry] = []
        for (index, container) in spec.containers.enumerated() {
            entries.append(
                ContainerEntry(
                    container: container, role: "container", list: "containers", index: index, specPath: specPath))
        }
        for (index, container) in spec.initContainers.enumerated() {
            let role = container.restartPolicy == "Always" ? "sidecar container" : "init container"
            entries.append(
                ContainerEntry(
                    container: container, role: role, list: "initContainers", index: index, specPath: specPath))
        }
        for (index, container) in spec.ephemeralContainers.enumerated() {
            entries.append(
                ContainerEntry(
                    container: container, role: "ephemeral container", list: "ephemeralContainers", index: index,
                    specPath: specPath))
        }
        containers = entries
        var images = entries.compactMap { entry in
            isPatch && entry.container.image.isEmpty
                ? nil : ImageEntry(image: entry.container.image, holder: .container(entry))
        }
        if !spec.volumes.isEmpty {
            images += Self.volumeImages(spec.volumes, specPath: specPath, imageDrivers: imageDrivers)
        }
        for source in modelSources {
            guard let uri = source.uri, uri.hasPrefix("oci://") else { continue }
            images.append(ImageEntry(image: String(uri.dropFirst("oci://".count)), holder: .model(path: source.path)))
        }
        images += imageFields.map { ImageEntry(image: $0.value, holder: .field(path: $0.path)) }
        self.images = images
    }

    /// Image volumes and image-pulling CSI volumes as images; a missing reference or attribute is "", which the
    /// origin check reports as an invalid reference naming the field to set.
    private static func volumeImages(_ volumes: [Volume], specPath: String, imageDrivers: [String: String])
        -> [ImageEntry]
    {
        volumes.compactMap { volume in
            if let reference = volume.imageReference {
                return ImageEntry(image: reference, holder: .imageVolume(volume, specPath: specPath))
            }
            guard let csi = volume.csi, let attribute = imageDrivers[csi.driver] else { return nil }
            return ImageEntry(
                image: csi.volumeAttributes[attribute] ?? "",
                holder: .csiVolume(volume, driver: csi.driver, attribute: attribute, specPath: specPath))
        }
    }

    /// One image of ``images`` with its reference parsed, or why it is not a reference.
    struct ParsedImage {
        var entry: ImageEntry
        var reference: Result<ImageReference, ImageReference.ParseError>
    }

    /// Every image, parsed: the engine parses a pod's images once for all the image checks.
    var parsedImages: [ParsedImage] {
        images.map { entry in
            ParsedImage(
                entry: entry,
                reference: Result { () throws(ImageReference.ParseError) in try ImageReference.parse(entry.image) })
        }
    }

    /// How messages name one of its images' holders: `Pod "x": container "main" (spec.containers[0].image)`. Built only
    /// for findings.
    func describe(_ entry: ImageEntry) -> String { "\(subject): \(entry.holderName) (\(entry.path))" }

    /// How messages name the object: `Pod "x"`, `Deployment "y" pod template`, `InferenceService "z" predictor`.
    var subject: String {
        let name = workloadName.isEmpty ? "" : " \(workloadName.quotedForMessage)"
        guard isTemplate else { return "\(workloadKind)\(name)" }
        switch workloadKind {
        case "InferenceService": return "\(workloadKind)\(name) predictor"
        case "ServingRuntime": return "\(workloadKind)\(name) runtime"
        default:
            // A configured kind's image fields are judged on the object itself, at `spec`.
            guard specPath != "spec" else { return "\(workloadKind)\(name)" }
            guard namesTemplatePath else { return "\(workloadKind)\(name) pod template" }
            return "\(workloadKind)\(name) pod template \(specPath.dropLast(".spec".count))"
        }
    }
}

extension [PodUnderReview.ParsedImage] {
    /// What `judge` finds about each image that is a valid reference (an invalid one is `image-reference`'s alone).
    func findings(_ judge: (PodUnderReview.ImageEntry, ImageReference) -> Finding?) -> [Finding] {
        compactMap { image in
            guard case .success(let reference) = image.reference else { return nil }
            return judge(image.entry, reference)
        }
    }
}
