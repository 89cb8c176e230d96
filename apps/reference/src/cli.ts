#!/usr/bin/env node
// vcm-ref: placeholder until the physalloc table lands (issue 2).
console.log('vcm-ref');
