import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "spec/", "src/store/migrations/", "data/", "test-output/"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  {
    // The store is asynchronous: a promise used as a boolean, or one nobody awaits, is a write that
    // may not have happened when the code goes on. These two rules need the type checker.
    files: ["src/**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { "@typescript-eslint/no-floating-promises": "error", "@typescript-eslint/no-misused-promises": "error" },
  },
  {
    files: ["src/cli/**", "scripts/**", "src/main.ts", "src/simulator/main.ts", "tests/helpers/summary-reporter.ts"],
    rules: { "no-console": "off" },
  },
);
