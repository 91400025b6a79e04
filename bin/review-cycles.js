#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx review-cycles` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../client/cli.ts');
