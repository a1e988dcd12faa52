package org.hvol.sandbox;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.binary.api.IBinaryStorageSvc;
import ca.uhn.fhir.jpa.binstore.MemoryBinaryStorageSvcImpl;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.jpa.subscription.match.config.SubscriptionProcessorConfig;
import ca.uhn.fhir.jpa.subscription.match.deliver.email.IEmailSender;
import ca.uhn.fhir.jpa.subscription.submit.config.SubscriptionSubmitterConfig;
import ca.uhn.fhir.jpa.validation.JpaValidationSupportChain;
import ca.uhn.fhir.narrative2.NullNarrativeGenerator;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.RequestValidatingInterceptor;
import ca.uhn.fhir.rest.server.interceptor.consent.ConsentInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import ca.uhn.fhir.validation.IInstanceValidatorModule;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import com.zaxxer.hikari.HikariDataSource;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.ServletWebServerFactoryAutoConfiguration;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * Sandbox EHR: HAPI FHIR JPA server (R4, in-memory H2) behind SMART bearer tokens, with the buddy journal
 * hidden from everyone without clearance (unless started with --hvol.enforce-journal=false). Only the auto-configurations we need are imported (fast start).
 */
@SpringBootConfiguration
@ImportAutoConfiguration({PropertyPlaceholderAutoConfiguration.class, ServletWebServerFactoryAutoConfiguration.class})
@Import({
    JpaR4Config.class,
    HapiJpaConfig.class,
    SubscriptionSubmitterConfig.class,
    SubscriptionProcessorConfig.class,
    SubscriptionChannelConfig.class,
    ThreadPoolFactoryConfig.class,
    JpaBatch2Config.class,
    Batch2JobsConfig.class
})
public class SandboxEhr {

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(SandboxEhr.class);
        app.setAllowCircularReferences(true); // the HAPI JPA beans have cycles
        app.setBannerMode(org.springframework.boot.Banner.Mode.OFF);
        app.run(args);
    }

    @Bean
    public SandboxSettings sandboxSettings(
            @Value("${hvol.issuer}") String issuer,
            @Value("${hvol.audience}") String audience,
            @Value("${hvol.jwks-url}") String jwksUrl,
            @Value("${hvol.authorize-url:}") String authorizeUrl,
            @Value("${hvol.token-url:}") String tokenUrl,
            @Value("${hvol.enforce-journal:true}") boolean enforceJournal) {
        return new SandboxSettings(issuer, audience, jwksUrl, authorizeUrl, tokenUrl, enforceJournal);
    }

    @Bean
    public JpaStorageSettings storageSettings() {
        JpaStorageSettings s = new JpaStorageSettings();
        // Tests repeat searches right after writes: never answer from a cached search.
        s.setReuseCachedSearchResultsForMillis(null);
        s.setExpungeEnabled(true);
        s.setAllowMultipleDelete(true);
        s.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ANY);
        s.setResourceServerIdStrategy(JpaStorageSettings.IdStrategyEnum.UUID);
        s.setPreExpandValueSets(false);
        s.setEnableTaskPreExpandValueSets(false);
        s.setAutoCreatePlaceholderReferenceTargets(false);
        // Batch entries run one after the other: HAPI's AuthorizationInterceptor compartment checks are not
        // thread-safe (ConcurrentModificationException, 500) when batch entries are processed in parallel.
        s.setBundleBatchPoolSize(1);
        s.setBundleBatchMaxPoolSize(1);
        return s;
    }

    @Bean
    public SubscriptionSettings subscriptionSettings() {
        return new SubscriptionSettings();
    }

    @Bean
    public PartitionSettings partitionSettings() {
        return new PartitionSettings();
    }

    @Bean
    public IEmailSender emailSender() {
        return theDetails -> { };
    }

    @Bean
    public IBinaryStorageSvc binaryStorage() {
        return new MemoryBinaryStorageSvcImpl();
    }

    @Bean(destroyMethod = "close")
    public DataSource dataSource() {
        HikariDataSource ds = new HikariDataSource();
        ds.setJdbcUrl("jdbc:h2:mem:hvol;DB_CLOSE_DELAY=-1");
        ds.setUsername("sa");
        ds.setPassword("");
        ds.setMaximumPoolSize(10);
        return ds;
    }

    @Primary
    @Bean
    public LocalContainerEntityManagerFactoryBean entityManagerFactory(
            ConfigurableListableBeanFactory beanFactory, FhirContext ctx, JpaStorageSettings settings,
            DataSource dataSource) {
        LocalContainerEntityManagerFactoryBean emf =
                HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, ctx, settings);
        emf.setPersistenceUnitName("HAPI_PU");
        emf.setDataSource(dataSource);
        Properties p = new Properties();
        p.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
        p.put("hibernate.hbm2ddl.auto", "update");
        p.put("hibernate.search.enabled", "false");
        p.put("hibernate.format_sql", "false");
        p.put("hibernate.show_sql", "false");
        p.put("hibernate.cache.use_query_cache", "false");
        p.put("hibernate.cache.use_second_level_cache", "false");
        p.put("hibernate.cache.use_structured_entries", "false");
        p.put("hibernate.cache.use_minimal_puts", "false");
        p.put("hibernate.jdbc.batch_size", "20");
        emf.setJpaProperties(p);
        return emf;
    }

    @Primary
    @Bean
    public JpaTransactionManager transactionManager(EntityManagerFactory emf) {
        JpaTransactionManager tm = new JpaTransactionManager();
        tm.setEntityManagerFactory(emf);
        return tm;
    }

    @Bean
    public ServletRegistrationBean<RestfulServer> fhirServlet(
            FhirContext ctx,
            ResourceProviderFactory resourceProviders,
            JpaSystemProvider<?, ?> systemProvider,
            IFhirSystemDao<?, ?> systemDao,
            JpaStorageSettings storageSettings,
            ISearchParamRegistry searchParamRegistry,
            IValidationSupport validationSupport,
            JpaValidationSupportChain validationChain,
            DatabaseBackedPagingProvider pagingProvider,
            IInstanceValidatorModule instanceValidator,
            DaoRegistry daoRegistry,
            SandboxSettings settings) {
        ctx.setNarrativeGenerator(new NullNarrativeGenerator());
        RestfulServer server = new RestfulServer(ctx);
        server.registerProviders(resourceProviders.createProviders());
        server.registerProvider(systemProvider);
        server.setServerConformanceProvider(new JpaCapabilityStatementProvider(
                server, systemDao, storageSettings, searchParamRegistry, validationSupport));
        server.setPagingProvider(pagingProvider);
        server.setDefaultResponseEncoding(EncodingEnum.JSON);
        server.setImplementationDescription("hvol-fhir sandbox EHR");

        // Order matters: authentication first, then scopes, then journal guards, consent, validation.
        server.registerInterceptor(new BearerTokenInterceptor(settings));
        server.registerInterceptor(new ScopeInterceptor(ctx));
        server.registerInterceptor(new PatientCompartmentAuthorization(ctx));
        server.registerInterceptor(new CaseloadRequestNarrowing());
        server.registerInterceptor(new CaseloadSearchNarrowing(ctx));
        if (settings.enforceJournal()) {
            // Off only for the organisation that stands for an EHR enforcing no labels: the app's sealing
            // and signatures must keep the journal private there on their own (issue 12).
            server.registerInterceptor(new JournalGuardInterceptor(ctx, daoRegistry, storageSettings));
            server.registerInterceptor(new JournalSearchNarrowing(ctx, daoRegistry));
            server.registerInterceptor(new ConsentInterceptor(new JournalConsentService(ctx)));
            server.registerInterceptor(new ProgrammeWriteGuard(ctx));
        }
        server.registerInterceptor(new SmartCapabilityInterceptor(settings));
        server.registerInterceptor(new ConformanceCacheInterceptor(validationChain));

        RequestValidatingInterceptor validating = new RequestValidatingInterceptor();
        validating.addValidatorModule(new ProfileSkippingValidator(instanceValidator));
        validating.setFailOnSeverity(ResultSeverityEnum.ERROR);
        validating.setAddResponseHeaderOnSeverity(null);
        validating.setAddResponseOutcomeHeaderOnSeverity(null);
        server.registerInterceptor(validating);

        ServletRegistrationBean<RestfulServer> reg = new ServletRegistrationBean<>(server, "/fhir/*");
        reg.setName("fhir");
        reg.setLoadOnStartup(1);
        return reg;
    }

    @Bean
    public ServletRegistrationBean<SmartConfigurationServlet> smartConfigurationServlet(SandboxSettings settings) {
        ServletRegistrationBean<SmartConfigurationServlet> reg = new ServletRegistrationBean<>(
                new SmartConfigurationServlet(settings), "/fhir/.well-known/smart-configuration");
        reg.setName("smart-configuration");
        return reg;
    }
}
