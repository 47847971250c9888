package org.phosphor.esanalysis;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.miscellaneous.RemoveDuplicatesTokenFilter;
import org.apache.lucene.analysis.pattern.PatternCaptureGroupTokenFilter;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The tokenizer and token filters the security index's "email" analyzer uses (uax_url_email; pattern_capture,
 * lowercase, unique).
 * The default distribution gets them from its analysis-common module; the integ-test zip on Maven Central
 * ships without that module, so without these filters the .security index (API keys, native users) cannot
 * be created. Built from Lucene's own filters with the settings the module reads (`unique` drops duplicates at
 * the same position only, which is all the email analyzer produces).
 */
public class SecurityAnalysisPlugin extends Plugin implements AnalysisPlugin {
    private static TokenFilterFactory factory(String name, java.util.function.UnaryOperator<TokenStream> wrap) {
        return new TokenFilterFactory() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public TokenStream create(TokenStream tokenStream) {
                return wrap.apply(tokenStream);
            }
        };
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        AnalysisProvider<TokenFilterFactory> patternCapture = (indexSettings, env, name, settings) -> {
            List<String> regexes = settings.getAsList("patterns");
            Pattern[] patterns = new Pattern[regexes.size()];
            for (int i = 0; i < patterns.length; i++) patterns[i] = Pattern.compile(regexes.get(i));
            boolean preserveOriginal = settings.getAsBoolean("preserve_original", true);
            return factory(name, ts -> new PatternCaptureGroupTokenFilter(ts, preserveOriginal, patterns));
        };
        AnalysisProvider<TokenFilterFactory> lowercase = (indexSettings, env, name, settings) ->
            factory(name, LowerCaseFilter::new);
        AnalysisProvider<TokenFilterFactory> unique = (indexSettings, env, name, settings) ->
            factory(name, RemoveDuplicatesTokenFilter::new);
        return Map.of(
            "pattern_capture", AnalysisPlugin.requiresAnalysisSettings(patternCapture),
            "lowercase", lowercase,
            "unique", unique
        );
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        AnalysisProvider<TokenizerFactory> uaxUrlEmail = (indexSettings, env, name, settings) -> {
            int maxTokenLength = settings.getAsInt("max_token_length", 255);
            return TokenizerFactory.newFactory(name, () -> {
                UAX29URLEmailTokenizer tokenizer = new UAX29URLEmailTokenizer();
                tokenizer.setMaxTokenLength(maxTokenLength);
                return tokenizer;
            });
        };
        return Map.of("uax_url_email", uaxUrlEmail);
    }
}
