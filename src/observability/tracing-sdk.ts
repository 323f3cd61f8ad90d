/**
 * The OpenTelemetry SDK behind tracing.ts: imported (with its exporter, ~1 MB of modules) only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Spans go in batches over OTLP/HTTP (JSON) to that endpoint's
 * /v1/traces; the exporter reads the OTEL_EXPORTER_OTLP_* variables (headers, timeout) itself.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** A registered tracer provider: flushes what it holds and unregisters on shutdown. */
export interface TracingSdk {
  shutdown(): Promise<void>;
}

/** Registers a global tracer provider exporting to the OTLP endpoint of the environment. */
export function startTracingSdk(input: { serviceName: string; serviceVersion?: string | undefined }): TracingSdk {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over our names.
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        'service.name': input.serviceName,
        // Agent processes of one run (run --processes) export their own spans: the pid tells them apart.
        // (Not the process detector: its command line would carry the feature text.)
        'process.pid': process.pid,
        ...(input.serviceVersion === undefined ? {} : { 'service.version': input.serviceVersion }),
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  // Sets the tracer provider, the AsyncLocalStorage context manager (children find their parent across awaits) and W3C propagation.
  provider.register();
  return {
    shutdown: () => provider.shutdown(),
  };
}
