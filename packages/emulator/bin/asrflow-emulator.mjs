#!/usr/bin/env node
// Runs the esbuild bundle made by the root `prepare` script.
import "../dist/bin.mjs"
