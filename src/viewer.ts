/**
 * Viewer process: OHIF + the read-only DICOMweb proxy to Orthanc (src/viewer/server.ts).
 * Environment: CXR_VIEWER_HOST (127.0.0.1), CXR_VIEWER_PORT (8044), CXR_VIEWER_DIST (.tools/ohif/dist), ORTHANC_URL,
 * ORTHANC_USERNAME / ORTHANC_PASSWORD (or the credentials file scripts/services writes), the login (CXR_VIEWER_USERNAME,
 * CXR_VIEWER_PASSWORD or the generated <data dir>/secrets/viewer-password, CXR_VIEWER_*: src/config.ts).
 */
import { loadConfig } from './config';
import { createViewerServer, listen, viewerPassword } from './viewer/server';

async function main(): Promise<void> {
  const config = loadConfig();
  const server = createViewerServer({
    viewer: config.viewer,
    password: viewerPassword(config.viewer, config.dataDir),
    orthanc: config.orthanc,
    audit: config.audit,
  });
  const port = await listen(server, config.viewer.port, config.viewer.host);
  const sso = config.viewer.trustedUserHeader
    ? `; users named by ${config.viewer.trustedUserHeader} from ${config.viewer.trustedProxies.join(', ') || 'no proxy (off)'}`
    : '';
  console.log(
    `viewer listening on http://${config.viewer.host}:${port} (OHIF ${config.viewer.distDir}, DICOMweb proxy to ${config.orthanc.url}; ` +
      `login as ${config.viewer.username}${config.viewer.password ? '' : ` with the password in ${config.dataDir}/secrets/viewer-password`}${sso})`,
  );
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
