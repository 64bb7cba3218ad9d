/** The data module's public surface: dataset type, accessors, loaders, validation, splits, scaling. */
export type { Modality, ModalityKind, ModalityTable, MultimodalDataset, Split, Task } from './types.js';
export {
  columnName,
  concatModalities,
  featureSize,
  gatherRows,
  FUSION_SEPARATOR,
  getModality,
  hasModality,
  isClassification,
  modalityNames,
  modalityRows,
  numClasses,
  subsetRows,
  testLabelsOf,
} from './access.js';
export { loadDataset, loadModalities, isDigitsSpec, type LoadOptions } from './load.js';
export { loadManifestDataset, parseManifest, manifestSchema, MANIFEST_NAME, type Manifest } from './manifest.js';
export {
  loadCsvDataset,
  loadCsvModalities,
  type CsvModalitiesOptions,
  type CsvColumnOptions,
  type CsvDatasetOptions,
  type CsvModalityColumns,
  type TaskOption,
} from './csvDataset.js';
export { FILE_FORMATS, formatFromName, type FileFormat, type ModalitySpec, type TaskSpec } from './source.js';
export { parseNpy, encodeNpy, type NpyArray, type NpyText, type NpyDtype } from './npy.js';
export { parseIdx, encodeIdxUbyte, type IdxArray } from './idx.js';
export {
  validateDataset,
  validateModalities,
  datasetWarnings,
  constantModalities,
  labelLeaks,
  leakWarning,
  IMBALANCE_RATIO,
  LEAK_ACCURACY,
  type LabelLeak,
} from './validate.js';
export {
  describeDataset,
  taskSummary,
  columnStats,
  NEAR_CONSTANT_SHARE,
  type ColumnSummary,
  type DatasetSummary,
  type ModalitySummary,
} from './describe.js';
export {
  stratifiedSplit,
  repeatedSplits,
  stratifiedKFoldSplits,
  DEFAULT_FRACTIONS,
  type SplitFractions,
  type SplitOptions,
} from './split.js';
export { fitStandardizer, applyStandardizer, standardizeDataset, type Standardizer } from './standardize.js';
export {
  planSplits,
  splitScheme,
  foldsOf,
  checkRows,
  rowFloors,
  KFOLD_BELOW,
  KFOLD_K,
  KFOLD_K_LARGE,
  SPLIT_SCHEMES,
  DEFAULT_SPLITS,
  type SplitPlan,
  type SplitScheme,
} from './rows.js';
