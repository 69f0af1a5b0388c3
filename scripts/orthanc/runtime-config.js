// Writes Orthanc's runtime configuration: orthanc.json (the source of truth), with orthanc.production.json merged
// over it for the production profile (objects key by key, lists appended), then this machine's values. Used by
// scripts/services (native) and by the Orthanc image's entrypoint (docker/orthanc/entrypoint.sh), so both run the
// same configuration. Who may send images (docs/security.md): C-STORE only from configured AE titles at their hosts
// (DicomAlwaysAllowStore false): orthanc.json's list, or ORTHANC_DICOM_MODALITIES (Orthanc's DicomModalities JSON).
// Secrets come from the environment (never argv): ORTHANC_USERNAME / ORTHANC_PASSWORD, CXR_PG_ORTHANC_PASSWORD.
// Usage: node runtime-config.js SRC DST DATA_DIR HTTP_PORT DICOM_PORT [OVERLAY PG_PORT TLS_BUNDLE [PG_HOST]]
'use strict';
const fs = require('fs');
const [src, dst, dataDir, httpPort, dicomPort, overlay, pgPort, tlsBundle, pgHost] = process.argv.slice(2);
const merge = (a, b) => {
  for (const [k, v] of Object.entries(b)) {
    if (Array.isArray(v) && Array.isArray(a[k])) a[k] = [...a[k], ...v.filter((x) => !a[k].includes(x))];
    else if (v && typeof v === 'object' && !Array.isArray(v) && a[k] && typeof a[k] === 'object') merge(a[k], v);
    else a[k] = v;
  }
  return a;
};
const cfg = JSON.parse(fs.readFileSync(src, 'utf8'));
if (overlay) {
  merge(cfg, JSON.parse(fs.readFileSync(overlay, 'utf8')));
  Object.assign(cfg.PostgreSQL, { Port: Number(pgPort), Password: process.env.CXR_PG_ORTHANC_PASSWORD });
  if (pgHost) cfg.PostgreSQL.Host = pgHost;
  cfg.SslCertificate = tlsBundle;
}
cfg.StorageDirectory = dataDir;
cfg.IndexDirectory = dataDir;
cfg.HttpPort = Number(httpPort);
cfg.DicomPort = Number(dicomPort);
cfg.RegisteredUsers = { [process.env.ORTHANC_USERNAME]: process.env.ORTHANC_PASSWORD };
if (process.env.ORTHANC_REMOTE_ACCESS === 'true') cfg.RemoteAccessAllowed = true;
const mods = process.env.ORTHANC_DICOM_MODALITIES;
if (mods) cfg.DicomModalities = JSON.parse(mods);
cfg.DicomAlwaysAllowStore = false;
cfg.DicomCheckModalityHost = true;
fs.writeFileSync(dst, JSON.stringify(cfg, null, 2), { mode: 0o600 });
