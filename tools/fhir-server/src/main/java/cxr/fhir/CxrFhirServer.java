package cxr.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.ValidationResult;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.RequestValidatingInterceptor;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;

/**
 * A small FHIR R4 server for the delivery tests: HAPI FHIR's RestfulServer, an in-memory store (read, search by
 * identifier, PUT, POST, transaction Bundles with referential integrity), and HAPI's instance validator on every
 * request that carries a resource (core R4 StructureDefinitions, in-memory terminology): a resource that does not
 * validate is refused with HTTP 422 and an OperationOutcome, and nothing of its request is stored.
 *
 * Usage: java -cp ... cxr.fhir.CxrFhirServer PORT [HOST] (or --warmup-only). Prints "cxr-fhir-server ready on PORT" once the validator
 * is warm (one validation done at start, so the first request does not pay for loading the profiles).
 */
public final class CxrFhirServer {
  private CxrFhirServer() {}

  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    // --warmup-only: load and warm everything, then exit (scripts/fhir-server records a class-data archive so).
    boolean warmupOnly = args[0].equals("--warmup-only");
    int port = warmupOnly ? 0 : Integer.parseInt(args[0]);
    String host = args.length > 1 ? args[1] : "127.0.0.1";
    FhirContext ctx = FhirContext.forR4Cached();

    ValidationSupportChain chain =
        new ValidationSupportChain(
            new DefaultProfileValidationSupport(ctx),
            new SnapshotGeneratingValidationSupport(ctx),
            new InMemoryTerminologyServerValidationSupport(ctx),
            new CommonCodeSystemsTerminologyService(ctx));
    FhirInstanceValidator module = new FhirInstanceValidator(chain);
    // References to resources outside the request are checked by the store (they must exist), not the validator.
    module.setAnyExtensionsAllowed(true);

    Store store = new Store(ctx);
    RestfulServer servlet = new RestfulServer(ctx);
    servlet.setResourceProviders(
        List.of(
            new StoreProvider<>(DiagnosticReport.class, store),
            new StoreProvider<>(Observation.class, store),
            new StoreProvider<>(ImagingStudy.class, store),
            new StoreProvider<>(Patient.class, store)));
    servlet.registerProvider(new SystemProvider(store));
    RequestValidatingInterceptor validating = new RequestValidatingInterceptor();
    validating.addValidatorModule(module);
    validating.setFailOnSeverity(ResultSeverityEnum.ERROR);
    validating.setAddResponseHeaderOnSeverity(null);
    servlet.registerInterceptor(validating);

    // Warm the validator: the first validation loads and snapshots the core profiles (seconds).
    FhirValidator warm = ctx.newValidator().registerValidatorModule(module);
    Observation probe = new Observation();
    probe.setStatus(Observation.ObservationStatus.FINAL);
    probe.getCode().setText("warm-up");
    Bundle b = new Bundle();
    b.setType(Bundle.BundleType.TRANSACTION);
    b.addEntry().setResource(probe).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Observation");
    ValidationResult r = warm.validateWithResult(b);
    if (!r.isSuccessful()) System.err.println("warm-up validation: " + r.getMessages());

    if (warmupOnly) {
      System.out.println("cxr-fhir-server warm-up done in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
      return;
    }
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(servlet), "/fhir/*");
    server.setHandler(context);
    server.start();
    System.out.println(
        "cxr-fhir-server ready on " + port + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    System.out.flush();
    server.join();
  }
}
