#!/usr/bin/env node
// Runs the esbuild bundle made by the root `prepare` script (one file: fast cold start).
import "../dist/bin.mjs"
