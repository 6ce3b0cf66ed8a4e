import Foundation
import HTTPTransport
import Synchronization
import Testing

/// Answers by path: `/now` on the I/O thread, `/later` from another thread, `/late` only after its fallback,
/// `/block` on the handler pool, blocking until released; anything else names its path at once.
private final class ByPath: InlineHTTPHandler {
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let lateAnswered = DispatchSemaphore(value: 0)
    /// What `/cycle` requests left behind, to see it freed.
    let released = Mutex<[Weak]>([])

    final class Work: Sendable {
        let responder: HTTPResponder
        init(_ responder: HTTPResponder) { self.responder = responder }
    }

    struct Weak: Sendable {
        nonisolated(unsafe) weak var work: Work?
        init(_ work: Work) { self.work = work }
    }

    func handle(_ request: HTTPRequest, context: RequestContext, responder: HTTPResponder) {
        switch request.path {
        case "/later":
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.05)
                responder.respondLater { .text(200, "later\n") }
            }
        case "/late":
            responder.giveUpAt(DispatchTime.now().uptimeNanoseconds + 200_000_000) { .text(503, "gave up\n") }
            Thread.detachNewThread { [lateAnswered] in
                // Well after the fallback, however late a loaded machine runs the loop.
                Thread.sleep(forTimeInterval: 3)
                responder.respond(.text(200, "too late\n"))
                lateAnswered.signal()
            }
        case "/cycle":
            // As the webhook does: the fallback captures work that refers back to the responder.
            let work = Work(responder)
            released.withLock { $0.append(Weak(work)) }
            responder.giveUpAt(DispatchTime.now().uptimeNanoseconds + 10_000_000_000) { [work] in
                .text(503, "\(ObjectIdentifier(work))")
            }
            Thread.detachNewThread { work.responder.respond(.text(200, "done\n")) }
        case "/block":
            responder.offload { [self] in
                entered.signal()
                return release.wait(timeout: .now() + 20) == .success
                    ? .text(200, "released\n") : .text(500, "never released\n")
            }
        default:
            responder.respond(handle(request, context: context))
        }
    }

    func handle(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        .text(200, "\(request.path)\n")
    }
}

@Suite("Handlers that answer on the I/O thread")
struct InlineHandlerTests {
    @Test("2,000 pipelined requests answered inline on one connection: every one, in order")
    func pipelinedInlineAnswers() throws {
        try withServer(ByPath()) { server, _ in
            let count = 2_000
            var requests = ""
            for index in 0..<count {
                requests +=
                    "GET /r\(index) HTTP/1.1\r\nHost: x\r\n" + (index == count - 1 ? "Connection: close\r\n" : "")
                requests += "\r\n"
            }
            let output = try rawTLS(port: server.port, Array(requests.utf8))
            let bodies = output.split(separator: "\r\n\r\n").dropFirst().map { $0.prefix { $0 != "\n" } }
            #expect(bodies.count == count, "\(output.suffix(300))")
            #expect(bodies.enumerated().allSatisfy { $0.element == "/r\($0.offset)" })
        }
    }

    @Test("an answer from another thread is written; past giveUpAt the fallback goes out and the late one is dropped")
    func laterAndFallback() throws {
        let handler = ByPath()
        try withServer(handler) { server, certs in
            // One connection for all three: the dropped answer must not become the next request's.
            let base = "https://localhost:\(server.port)"
            let body = try curl(certs, ["\(base)/later", "\(base)/late", "\(base)/after"])
            #expect(body == "later\ngave up\n/after\n")
            #expect(handler.lateAnswered.wait(timeout: .now() + 10) == .success)
            #expect(try curl(certs, ["\(base)/again"]) == "/again\n")
        }
    }

    @Test("a fallback that refers back to its responder is let go once the answer is written")
    func fallbackIsReleased() throws {
        let handler = ByPath()
        try withServer(handler) { server, certs in
            let base = "https://localhost:\(server.port)"
            let bodies = try curl(certs, ["\(base)/cycle", "\(base)/cycle", "\(base)/cycle"])
            #expect(bodies == "done\ndone\ndone\n")
        }
        var leaked = 3
        for _ in 0..<200 where leaked > 0 {
            leaked = handler.released.withLock { $0.filter { $0.work != nil }.count }
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(leaked == 0, "each request's work is held for ever by its own fallback")
    }

    @Test("with every handler thread blocked, requests answered inline are still served")
    func inlineAnswersNeedNoHandlerThread() throws {
        let handler = ByPath()
        var configuration = HTTPServerConfiguration(address: ListenAddress(host: "127.0.0.1", port: 0))
        configuration.ioThreads = 1
        configuration.maxHandlerThreads = 1
        try withServer(handler, configuration: configuration) { server, certs in
            let slow = try whileBlocked(server, certs: certs, entered: handler.entered, release: handler.release) {
                let fast = try curl(certs, ["https://localhost:\(server.port)/fast"])
                #expect(fast == "/fast\n")
            }
            #expect(slow == "released\n")
        }
    }
}
