package cxr.fhir;

import ca.uhn.fhir.rest.annotation.Transaction;
import ca.uhn.fhir.rest.annotation.TransactionParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;

/** POST [base] with a transaction Bundle: all entries stored, or none. */
public final class SystemProvider {
  private final Store store;

  SystemProvider(Store store) {
    this.store = store;
  }

  @Transaction
  public Bundle transaction(@TransactionParam Bundle bundle) {
    if (bundle.getType() != Bundle.BundleType.TRANSACTION) {
      throw new InvalidRequestException("Only transaction Bundles are accepted at the base URL");
    }
    List<Store.Write> writes = new ArrayList<>();
    for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
      if (!e.hasResource() || !e.hasRequest()) throw new InvalidRequestException("Every entry needs a resource and a request");
      writes.add(
          new Store.Write(
              e.getResource(),
              e.getRequest().getMethod().toCode(),
              e.getRequest().getUrl(),
              e.getRequest().hasIfNoneExist() ? e.getRequest().getIfNoneExist() : null,
              e.hasFullUrl() ? e.getFullUrl() : null));
    }
    List<Store.Written> done = store.apply(writes);
    Bundle response = new Bundle();
    response.setType(Bundle.BundleType.TRANSACTIONRESPONSE);
    for (Store.Written w : done) {
      response
          .addEntry()
          .getResponse()
          .setStatus(w.status())
          .setLocation(w.type() + "/" + w.id() + "/_history/" + w.version());
    }
    return response;
  }
}
