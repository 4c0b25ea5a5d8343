// OpenCV.js (@techstark/opencv-js 4.5.2, built without wasm SIMD or threads).
// Its module object is a thenable that resolves to itself: `await`ing it, or its
// dynamic import() (whose namespace re-exports `then`), spins forever. So: require()
// it, wait for onRuntimeInitialized, and hand it back wrapped: an async function that
// returned it bare would adopt the thenable and spin too.
import { createRequire } from "node:module";

export async function loadOpenCV(): Promise<{ cv: any }> {
  const cv = createRequire(import.meta.url)("@techstark/opencv-js");
  if (!cv.Mat) await new Promise<void>((resolve) => (cv.onRuntimeInitialized = resolve));
  return { cv };
}
