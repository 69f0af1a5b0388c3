/**
 * Viewer process: OHIF + the read-only DICOMweb proxy to Orthanc (src/viewer/server.ts).
 * Environment: CXR_VIEWER_HOST (127.0.0.1), CXR_VIEWER_PORT (8044), CXR_VIEWER_DIST (.tools/ohif/dist), ORTHANC_URL,
 * ORTHANC_USERNAME / ORTHANC_PASSWORD (or the credentials file scripts/services writes).
 */
import { loadConfig } from './config';
import { createViewerServer, listen } from './viewer/server';

async function main(): Promise<void> {
  const config = loadConfig();
  const server = createViewerServer({ viewer: config.viewer, orthanc: config.orthanc });
  const port = await listen(server, config.viewer.port, config.viewer.host);
  console.log(
    `viewer listening on http://${config.viewer.host}:${port} (OHIF ${config.viewer.distDir}, DICOMweb proxy to ${config.orthanc.url})`,
  );
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
