package cxr.fhir;

import ca.uhn.fhir.rest.annotation.Create;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.ResourceParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Update;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Resource;

/** Read, search by identifier, PUT and POST of one resource type, backed by the Store. */
public final class StoreProvider<T extends Resource> implements IResourceProvider {
  private final Class<T> type;
  private final Store store;

  StoreProvider(Class<T> type, Store store) {
    this.type = type;
    this.store = store;
  }

  @Override
  public Class<? extends IBaseResource> getResourceType() {
    return type;
  }

  private String typeName() {
    return type.getSimpleName();
  }

  @Read
  public T read(@IdParam IdType id) {
    Resource r = store.read(typeName(), id.getIdPart());
    if (r == null) throw new ResourceNotFoundException(id);
    return type.cast(r);
  }

  @Search
  public List<Resource> search(@OptionalParam(name = "identifier") TokenParam identifier) {
    return identifier == null
        ? store.search(typeName(), null, null)
        : store.search(typeName(), identifier.getSystem(), identifier.getValue());
  }

  @Update
  public MethodOutcome update(@IdParam IdType id, @ResourceParam T resource) {
    Store.Written w =
        store.apply(List.of(new Store.Write(resource, "PUT", typeName() + "/" + id.getIdPart(), null, null))).get(0);
    return outcome(w);
  }

  @Create
  public MethodOutcome create(@ResourceParam T resource) {
    Store.Written w = store.apply(List.of(new Store.Write(resource, "POST", typeName(), null, null))).get(0);
    return outcome(w);
  }

  private static MethodOutcome outcome(Store.Written w) {
    MethodOutcome o = new MethodOutcome(new IdType(w.type(), w.id(), Integer.toString(w.version())));
    o.setCreated(w.status().startsWith("201"));
    return o;
  }
}
