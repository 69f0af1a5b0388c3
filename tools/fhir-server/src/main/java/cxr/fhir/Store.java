package cxr.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.util.FhirTerser;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Resource;

/**
 * The server's resources, in memory: current version of each (type, id), its version number, and a no-op check (a
 * PUT of identical content keeps the version, as HAPI's JPA server does). Writes are all-or-nothing: a transaction
 * is checked in full (conditional URLs resolved, every reference must name a stored or co-submitted resource) before
 * anything is stored. Synchronized: one write at a time.
 */
final class Store {
  record Stored(Resource resource, int version, String contentJson) {}

  /** The result of one write: where it went and whether it created, updated or changed nothing. */
  record Written(String type, String id, int version, String status) {}

  /** One write of a transaction (or a plain PUT/POST): the resource and how to place it. */
  record Write(Resource resource, String method, String url, String ifNoneExist, String fullUrl) {}

  private final FhirContext ctx;
  private final IParser parser;
  private final Map<String, Map<String, Stored>> byType = new HashMap<>();

  Store(FhirContext ctx) {
    this.ctx = ctx;
    this.parser = ctx.newJsonParser();
  }

  synchronized Resource read(String type, String id) {
    Stored s = byType.getOrDefault(type, Map.of()).get(id);
    return s == null ? null : s.resource.copy();
  }

  synchronized List<Resource> search(String type, String system, String value) {
    List<Resource> out = new ArrayList<>();
    for (Stored s : byType.getOrDefault(type, Map.of()).values()) {
      if (value == null || hasIdentifier(s.resource, system, value)) out.add(s.resource.copy());
    }
    return out;
  }

  private boolean hasIdentifier(Resource r, String system, String value) {
    FhirTerser terser = ctx.newTerser();
    for (Identifier i : terser.getValues(r, r.fhirType() + ".identifier", Identifier.class)) {
      if (value.equals(i.getValue()) && (system == null || system.equals(i.getSystem()))) return true;
    }
    return false;
  }

  /** "Type?identifier=system|value" -> the id of the one match, null for none; two matches are refused (412). */
  private String resolveConditional(String url, Map<String, Map<String, Stored>> view) {
    int q = url.indexOf('?');
    String type = url.substring(0, q);
    String query = url.substring(q + 1);
    if (!query.startsWith("identifier=")) throw new InvalidRequestException("Only identifier= conditions: " + url);
    String token = java.net.URLDecoder.decode(query.substring("identifier=".length()), java.nio.charset.StandardCharsets.UTF_8);
    int bar = token.indexOf('|');
    String system = bar >= 0 ? token.substring(0, bar) : null;
    String value = bar >= 0 ? token.substring(bar + 1) : token;
    List<String> ids = new ArrayList<>();
    for (Map.Entry<String, Stored> e : view.getOrDefault(type, Map.of()).entrySet()) {
      if (hasIdentifier(e.getValue().resource, system, value)) ids.add(e.getKey());
    }
    if (ids.size() > 1) {
      throw new ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException("Multiple matches for " + url);
    }
    return ids.isEmpty() ? null : ids.get(0);
  }

  /** Apply the writes as one unit; returns one Written per write, in order. */
  synchronized List<Written> apply(List<Write> writes) {
    // Work on a copy of the index; swap it in only when everything passed.
    Map<String, Map<String, Stored>> view = new HashMap<>();
    for (Map.Entry<String, Map<String, Stored>> e : byType.entrySet()) view.put(e.getKey(), new HashMap<>(e.getValue()));
    Map<String, String> fullUrlToRef = new LinkedHashMap<>();
    List<String[]> placed = new ArrayList<>();
    for (Write w : writes) {
      String type = w.resource().fhirType();
      String id;
      boolean skip = false;
      if ("PUT".equals(w.method())) {
        if (w.url().contains("?")) {
          id = resolveConditional(w.url(), view);
          if (id == null) id = UUID.randomUUID().toString();
        } else {
          String[] parts = w.url().split("/");
          if (parts.length != 2 || !parts[0].equals(type)) throw new InvalidRequestException("PUT url must be " + type + "/id: " + w.url());
          id = parts[1];
          if (w.resource().hasIdElement() && w.resource().getIdElement().hasIdPart()
              && !w.resource().getIdElement().getIdPart().equals(id)) {
            throw new InvalidRequestException("Resource id " + w.resource().getIdElement().getIdPart() + " does not match " + w.url());
          }
        }
      } else if ("POST".equals(w.method())) {
        String existing = w.ifNoneExist() == null ? null : resolveConditional(type + "?" + stripType(w.ifNoneExist()), view);
        id = existing != null ? existing : UUID.randomUUID().toString();
        skip = existing != null;
      } else {
        throw new InvalidRequestException("Unsupported method in this server: " + w.method());
      }
      placed.add(new String[] {type, id, skip ? "skip" : ""});
      if (w.fullUrl() != null) fullUrlToRef.put(w.fullUrl(), type + "/" + id);
      // Reserve the id so later conditionals and reference checks see it.
      if (!skip) view.computeIfAbsent(type, k -> new HashMap<>()).putIfAbsent(id, new Stored(w.resource(), 0, ""));
    }
    List<Written> out = new ArrayList<>();
    FhirTerser terser = ctx.newTerser();
    for (int i = 0; i < writes.size(); i++) {
      Write w = writes.get(i);
      String type = placed.get(i)[0];
      String id = placed.get(i)[1];
      if (!placed.get(i)[2].isEmpty()) {
        Stored s = view.get(type).get(id);
        out.add(new Written(type, id, s.version, "200 OK"));
        continue;
      }
      Resource r = w.resource().copy();
      r.setId(type + "/" + id);
      for (var ref : terser.getAllResourceReferences(r)) {
        IBaseReference reference = ref.getResourceReference();
        String target = reference.getReferenceElement().getValue();
        if (target == null) continue;
        if (fullUrlToRef.containsKey(target)) {
          reference.setReference(fullUrlToRef.get(target));
          target = fullUrlToRef.get(target);
        }
        String[] parts = target.split("/");
        if (parts.length < 2 || !view.getOrDefault(parts[parts.length - 2], Map.of()).containsKey(parts[parts.length - 1])) {
          throw new UnprocessableEntityException(
              "Resource " + type + "/" + id + " references " + target + ", which is not on this server nor in the request");
        }
      }
      r.getMeta().setVersionId(null).setLastUpdated(null);
      String content = parser.encodeResourceToString(r);
      Stored prev = view.get(type).get(id);
      int version;
      String status;
      if (prev != null && prev.version > 0 && prev.contentJson.equals(content)) {
        version = prev.version;
        status = "200 OK";
      } else {
        version = prev != null && prev.version > 0 ? prev.version + 1 : 1;
        status = version == 1 ? "201 Created" : "200 OK";
      }
      r.getMeta().setVersionId(Integer.toString(version)).setLastUpdated(new java.util.Date());
      view.get(type).put(id, new Stored(r, version, content));
      out.add(new Written(type, id, version, status));
    }
    byType.clear();
    byType.putAll(view);
    return out;
  }

  private static String stripType(String ifNoneExist) {
    int q = ifNoneExist.indexOf('?');
    return q >= 0 ? ifNoneExist.substring(q + 1) : ifNoneExist;
  }

  @SuppressWarnings("unused")
  private static boolean isRef(IBaseResource r) {
    return r != null;
  }
}
