import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['scratch/', 'dist/', 'node_modules/', 'runs/', '.cache/', 'bench/*.py'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error'],
    },
  },
  { files: ['src/cli/**', 'bench/**', 'scripts/**'], rules: { 'no-console': 'off' } },
);
