// Request validators compiled when a route first validates, not at start-up.
//
// Fastify compiles every route's schemas with Ajv while the server starts: about a
// sixth of a start on Postgres (0.2-0.3 s of 1.4 s on a 2-core machine), for routes
// most starts never see before the next restart. Here each validator is compiled on its
// first call (a few milliseconds, once), with the same compiler and options Fastify
// uses. The schemas are fixed (they come from openapi/openapi.yaml), so a schema that
// cannot compile is found by `compileAll()`, which the contract test runs over every
// route; it never waits for a request to find it.
import AjvCompiler from '@fastify/ajv-compiler';

type Build = ReturnType<typeof AjvCompiler>;
type Compile = ReturnType<Build>;
type RouteDefinition = Parameters<Compile>[0];
type Validator = ReturnType<Compile>;

export interface DeferredValidators {
  /** For Fastify's `schemaController.compilersFactory.buildValidator`. */
  buildValidator: (...args: Parameters<Build>) => (route: RouteDefinition) => Validator;
  /** Compiles every validator not compiled yet (throws the first compile error); how many it compiled. */
  compileAll(): number;
}

export function deferredValidators(build: Build = AjvCompiler()): DeferredValidators {
  const pending = new Set<() => Validator>();
  return {
    buildValidator(externalSchemas, options) {
      // The Ajv instance itself is made on first use too.
      let compile: Compile | null = null;
      return (route) => {
        let compiled: Validator | null = null;
        const get = (): Validator => {
          if (compiled) return compiled;
          compile ??= build(externalSchemas, options);
          compiled = compile(route);
          pending.delete(get);
          return compiled;
        };
        pending.add(get);
        // Fastify reads `errors` after a failed call, and passes the parent object when
        // `schemaEnv` is set (Ajv then may coerce the root value): both come from the
        // compiled function.
        const validate = function (this: unknown, data: unknown, context?: unknown) {
          const fn = get();
          const result = (fn as (d: unknown, c?: unknown) => unknown).call(this, data, context);
          validate.errors = fn.errors;
          return result;
        } as unknown as Validator & { errors: Validator['errors'] };
        Object.defineProperty(validate, 'schemaEnv', { get: () => get().schemaEnv });
        return validate;
      };
    },
    compileAll() {
      let n = 0;
      for (const get of [...pending]) {
        get();
        n++;
      }
      return n;
    },
  };
}
