// Public surface of server/image: codecs, ImageBatch helpers, and file helpers for nodes
// and the upload endpoint. Import from here, not from the files behind it.
export { type RgbImage, MAX_IMAGE_PIXELS, checkImageSize } from './types.ts';
export { decodeImage, probeImage, sniffImageFormat, type ImageFormat } from './decode.ts';
export { decodePng, encodePng, readPngText, pngHeader, pngSize, toByte } from './png.ts';
export { decodeJpeg, jpegFrame, jpegSize, jpegOrientation, applyOrientation } from './jpeg.ts';
export { checkBatch, imageToBatch, stackImages, batchFrame, batchFrames, batchToPngs } from './batch.ts';
export { resizeImage, resizePlane, resizeBatch, resizeCover, resizeCoverBatch, centerCropRect, RESIZE_METHODS, type ResizeMethod } from './resize.ts';
export { decodeRgba, orientRgba, alphaImage, putAlpha, encodeRgbaPng, encodeRgbaJpeg, type RgbaImage, type RgbaDecodeLimits } from './rgba.ts';
export { cropImage, cropBatch, checkCropRect } from './crop.ts';
export { gridImage, type GridOptions } from './grid.ts';
export { IMAGE_EXTENSIONS, isImageFileName, listImageFiles, listImageFolders, listFolderImages, sha256Hex, readInside, loadImageFile } from './files.ts';
export { saveImages, parseFilenamePrefix, nextCounter, pngMetadata, asciiJson, type SaveImagesOptions } from './save.ts';
export { fileProblem } from './errors.ts';
export { batchToNchw, nchwToBatch, type NchwTensor, type PixelRange } from './tensor.ts';
