import { defineConfig } from 'vite';

// Built by Maven (viewer-launcher, generate-resources) into the jar's classpath static resources:
// META-INF/resources/viewer/ is served by the node at /viewer/. No CDN: every script, worker and
// WebAssembly codec is in the bundle.
export default defineConfig({
  base: '/viewer/',
  build: {
    outDir: process.env.VIEWER_OUT_DIR || '../../../target/classes/META-INF/resources/viewer',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
    rollupOptions: { input: { viewer: 'index.html', portal: 'portal.html', me: 'me.html' } },
  },
  worker: { format: 'es' },
  optimizeDeps: {
    exclude: ['@cornerstonejs/dicom-image-loader'],
    include: ['dicom-parser'],
  },
});
