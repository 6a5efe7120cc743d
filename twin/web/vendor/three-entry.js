// The parts of three.js the published viewer uses, as one classic script that defines the global THREE
// (Chromium blocks ES module imports from file://).
export * from 'three';
export { OrbitControls } from 'three/addons/controls/OrbitControls.js';
export { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
