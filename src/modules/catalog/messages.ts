import { defineMessages } from '../../kernel/i18n';

defineMessages({
  product_not_found: { 'zh-CN': '商品不存在', en: 'Product not found' },
  sku_not_found: { 'zh-CN': 'SKU 不存在', en: 'SKU not found' },
  category_not_found: { 'zh-CN': '类目不存在', en: 'Category not found' },
  brand_not_found: { 'zh-CN': '品牌不存在', en: 'Brand not found' },
  category_slug_taken: {
    'zh-CN': '类目标识 {slug} 已被使用',
    en: 'The category slug {slug} is already in use',
  },
  brand_name_taken: { 'zh-CN': '品牌 {name} 已存在', en: 'The brand {name} already exists' },
  sku_code_taken: {
    'zh-CN': '本店已有相同编码的 SKU',
    en: 'This shop already has a SKU with this code',
  },
  product_not_published: {
    'zh-CN': '商品尚未上架，无需下架',
    en: 'The product is not on sale, so it cannot be taken off sale',
  },
  product_needs_active_sku: {
    'zh-CN': '在售商品至少需要一个有效 SKU',
    en: 'A product on sale needs at least one active SKU',
  },
  category_move_into_own_subtree: {
    'zh-CN': '不能把类目移到它自己或它的下级类目之下',
    en: 'A category cannot be moved under itself or one of its descendants',
  },
  // field-level messages
  'field.category_not_found': { 'zh-CN': '类目不存在', en: 'is not an existing category' },
  'field.category_not_leaf': {
    'zh-CN': '商品只能发布在末级类目下',
    en: 'must be a leaf category (one with no sub-categories)',
  },
  'field.category_too_deep': {
    'zh-CN': '类目最多 {limit} 级',
    en: 'would make the category tree deeper than {limit} levels',
  },
  'field.brand_not_found': { 'zh-CN': '品牌不存在', en: 'is not an existing brand' },
  'field.warehouse_not_found': {
    'zh-CN': '不是本店的仓库',
    en: 'is not a warehouse of this shop',
  },
  'field.sku_code_duplicate': {
    'zh-CN': 'SKU 编码在本次提交中重复',
    en: 'repeats the code of another SKU in this request',
  },
  'field.sku_code_taken': {
    'zh-CN': '本店已有相同编码的 SKU',
    en: 'is already used by another SKU of this shop',
  },
  'field.sku_attributes_duplicate': {
    'zh-CN': '与其他 SKU 的销售属性组合重复',
    en: 'repeats the attribute combination of another SKU of this product',
  },
  'field.sku_attributes_mismatch': {
    'zh-CN': '销售属性需与同商品其他 SKU 一致（{names}）',
    en: 'must name the same attributes as the other SKUs of this product ({names})',
  },
  'field.sku_attributes_too_many': {
    'zh-CN': '销售属性最多 {limit} 个',
    en: 'must have at most {limit} attributes',
  },
  'field.sku_attribute_name': {
    'zh-CN': '属性名需为 1 到 {limit} 个字符',
    en: 'attribute names must be 1 to {limit} characters',
  },
  'field.sku_attribute_value': {
    'zh-CN': '属性值需为 1 到 {limit} 个字符',
    en: 'attribute values must be 1 to {limit} characters',
  },
  'field.image_url': {
    'zh-CN': '需为 http(s) 图片地址',
    en: 'must be an http(s) URL',
  },
  'field.slug': {
    'zh-CN': '只能包含小写字母、数字和连字符',
    en: 'must be lower-case letters, digits and hyphens',
  },
  'field.category_slug_taken': { 'zh-CN': '该标识已被使用', en: 'is already in use' },
  'field.brand_name_taken': { 'zh-CN': '该品牌已存在', en: 'is already a brand' },
});
