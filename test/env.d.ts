// The bindings seen by tests through `env` from "cloudflare:test".
declare namespace Cloudflare {
  interface Env {
    CIRCUIT_BREAKER: DurableObjectNamespace;
    OUTBOX: DurableObjectNamespace;
    [key: string]: unknown;
  }
}
