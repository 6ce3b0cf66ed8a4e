/// What admission may know about nodes, for judging `pods/binding` without reading the cluster: who binds
/// on the scheduler's behalf, and which nodes lie in which pool and zone (by exact name or name prefix, as
/// GKE, EKS and AKS name nodes after their pool).
public struct BindingSettings: Sendable, Equatable {
    /// One node, or every node whose name starts with a prefix, and where it is.
    public struct NodePlacement: Sendable, Equatable {
        /// The node's name, or with ``isPrefix`` the start of the names of a pool's nodes.
        public var name: String
        public var isPrefix: Bool
        /// The node pool (value of `accelerators.nodePoolLabel`).
        public var pool: String
        /// `topology.kubernetes.io/zone` and `…/region` of the nodes, when the policy knows them.
        public var zone: String?
        public var region: String?

        public init(name: String, isPrefix: Bool = false, pool: String, zone: String? = nil, region: String? = nil) {
            self.name = name
            self.isPrefix = isPrefix
            self.pool = pool
            self.zone = zone
            self.region = region
        }

        func matches(_ node: String) -> Bool { isPrefix ? node.utf8.starts(with: name.utf8) : node == name }
    }

    /// Usernames that bind on the scheduler's behalf: their bindings follow the pod's own selectors,
    /// affinity and tolerations, which admission already confined.
    public var schedulers: [String]
    /// Where the nodes are; an exact name wins over a prefix, a longer prefix over a shorter one.
    public var nodes: [NodePlacement]

    public static let defaultSchedulers = ["system:kube-scheduler"]

    public init(schedulers: [String] = BindingSettings.defaultSchedulers, nodes: [NodePlacement] = []) {
        self.schedulers = schedulers
        self.nodes = nodes
    }

    /// What the policy knows of `node`, or nil.
    public func placement(of node: String) -> NodePlacement? {
        if let exact = nodes.first(where: { !$0.isPrefix && $0.name == node }) { return exact }
        return nodes.filter { $0.isPrefix && $0.matches(node) }.max { $0.name.utf8.count < $1.name.utf8.count }
    }
}
