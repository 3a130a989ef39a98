// Absolute path: the server answers /items/... with the page, so a relative one would miss.
import init from '/appframe_host_demo.js';
await init();
