/**
 * Regenerates the committed tiny models under fixtures/models (npm run models:tiny).
 * test/encoders/onnx/generated-models-are-deterministic.test.ts fails if the committed files drift from what this writes.
 */
import { fileURLToPath } from 'node:url';
import { buildModels } from '../encoders/onnx/build.js';

const out = fileURLToPath(new URL('../fixtures/models', import.meta.url));
for (const m of await buildModels({ preset: 'tiny', out })) {
  console.log(`${m.dir}: ${m.onnx.bytes} bytes, ${m.onnx.parameters} parameters, sha256 ${m.onnx.sha256.slice(0, 16)}`);
}
