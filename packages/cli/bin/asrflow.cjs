#!/usr/bin/env node
"use strict"
require("./loader.cjs").run("asrflow.cjs")
